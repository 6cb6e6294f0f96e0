/**
 * @fileoverview ComfyUI's cache, as the attendee sees it: pressing Run again on an unchanged graph is
 * answered at once from the previous run (`execution_cached` for every node, the same output files
 * replayed) instead of taking a GPU slot.
 *
 * ComfyUI keys each node by its class, inputs (recursively through links) and IS_CHANGED, and keeps
 * the most recent prompt's results. So a rerun is fully cached when this user's last prompt sent
 * for execution had the same key (validated prompt, output nodes, input files' sha256), finished
 * `done`, and its files are still in the attendee's output/temp folders; the relay checks its own
 * copies again before honouring `cachedFrom`. Where we cannot know ComfyUI's answer — a node from
 * a custom pack may have an IS_CHANGED that re-runs it every time — the prompt runs.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { ComfyNodeDef } from '../../../protocol/src/comfy/http';
import type { JobInput } from '../../../protocol/src/relay/api';
import type { JobView } from '../../../protocol/src/relay/job';
import { confinedPath } from '../../../kit/output-files/confine';
import type { RelayClient } from '../relay/relay-client';
import { filesOf, type FileRef } from '../shapes/outputs';
import { outputKey, type StateStore } from '../state/state-store';

export type RunKeyInput = {
  prompt: Record<string, unknown>;
  outputs: readonly string[];
  inputs: readonly JobInput[];
};

/** Key-order independent JSON (the same prompt built in another order is the same prompt). */
function stable(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(
      ([, v]) => v !== undefined,
    );
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stable(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** What ComfyUI's cache would compare: every node's class and inputs, the outputs to run, the input files' bytes. */
export function runKey(run: RunKeyInput): string {
  const inputs = [...run.inputs].map((i) => `${i.path}\0${i.sha256}`).sort();
  return createHash('sha256')
    .update(stable({ prompt: run.prompt, outputs: [...run.outputs].sort(), inputs }))
    .digest('hex');
}

/** True when every node class is ComfyUI's own (core or comfy_extras), whose cache behaviour we know. */
export function onlyKnownNodes(
  prompt: Record<string, unknown>,
  objectInfo: Record<string, ComfyNodeDef>,
): boolean {
  return Object.values(prompt).every((node) => {
    const classType = (node as { class_type?: unknown }).class_type;
    const module = typeof classType === 'string' ? objectInfo[classType]?.python_module : undefined;
    return typeof module === 'string' && !module.startsWith('custom_nodes');
  });
}

export type RerunCache = {
  /** The job to answer `key` from, when ComfyUI's cache would hold it; undefined → run it. */
  find(key: string): Promise<JobView | undefined>;
  /** `jobId` was sent for execution with `key` (it becomes what the cache holds). */
  ran(jobId: string, key: string): void;
  /** A job answered from `source`: its files are the source's local files (ComfyUI replays the same names). */
  adopt(jobId: string, source: JobView): void;
};

export function createRerunCache(deps: {
  relay: RelayClient;
  state: StateStore;
  dirs: { output: string; temp: string };
}): RerunCache {
  const localName = (jobId: string, ref: FileRef) =>
    deps.state.outputName(outputKey(jobId, ref.type, ref.subfolder, ref.filename)) ?? ref.filename;
  const filesHere = (job: JobView) =>
    Object.values(job.outputs).every((output) =>
      filesOf(output).every((ref) => {
        const path = confinedPath(
          ref.type === 'temp' ? deps.dirs.temp : deps.dirs.output,
          ref.subfolder,
          localName(job.id, ref),
        );
        return path !== undefined && existsSync(path);
      }),
    );

  return {
    async find(key) {
      const last = deps.state.lastRun;
      if (!last || last.key !== key) return undefined;
      const job = await deps.relay.getJob(last.jobId).catch(() => undefined);
      return job?.state === 'done' && filesHere(job) ? job : undefined;
    },
    ran(jobId, key) {
      deps.state.setLastRun({ jobId, key });
    },
    adopt(jobId, source) {
      for (const output of Object.values(source.outputs)) {
        for (const ref of filesOf(output))
          deps.state.setOutputName(
            outputKey(jobId, ref.type, ref.subfolder, ref.filename),
            localName(source.id, ref),
          );
      }
    },
  };
}
