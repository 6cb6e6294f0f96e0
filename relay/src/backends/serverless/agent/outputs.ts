/**
 * @fileoverview The files an `executed` message from a replica's journal names, stored for the
 * user before the message is forwarded (invariant 3), with the message rewritten to the names the
 * user's store gave them — as the direct backend does with the GPU's own WebSocket
 * (job-tracker.ts). ComfyUI writes a file before it sends `executed`, so the file is on the
 * shared volume already (NFS may take a moment to show it). Only files under this job's tag and
 * attempt are taken; anything else is left out of the message with one log line.
 */
import { stat } from 'node:fs/promises';
import { posix, resolve, sep } from 'node:path';
import type { Logger } from 'pino';
import type { RunContext } from '../../backend';
import { untag, type OutputNode } from '../../tagging';
import { storeTaggedFile } from '../delivery';
import { waitForFile } from '../evidence';
import type { Metrics } from '../metrics';

export type OutputDeps = {
  jobId: string;
  attempt: number;
  ctx: RunContext;
  outputNodes: Map<string, OutputNode>;
  sfsOutputDir: string;
  /** How long a named file may take to appear on the shared volume. */
  missingOutputGraceMs: number;
  metrics: Metrics;
  logger: Logger;
  signal: AbortSignal;
};

type FileItem = { filename: string; subfolder?: string; type?: string };

const isFileItem = (item: unknown): item is FileItem =>
  !!item && typeof item === 'object' && typeof (item as FileItem).filename === 'string';

/** `output` with every file of ours stored for the user and renamed; null stays null. */
export async function storeExecutedOutput(
  output: unknown,
  deps: OutputDeps,
): Promise<Record<string, unknown[]> | null> {
  if (!output || typeof output !== 'object') return null;
  const out: Record<string, unknown[]> = {};
  for (const [key, items] of Object.entries(output as Record<string, unknown>)) {
    if (!Array.isArray(items)) continue;
    const kept: unknown[] = [];
    for (const item of items) {
      if (!isFileItem(item)) kept.push(item);
      else {
        const stored = await storeItem(key, item, deps);
        if (stored) kept.push(stored);
      }
    }
    out[key] = kept;
  }
  return out;
}

async function storeItem(key: string, item: FileItem, deps: OutputDeps) {
  const rel = posix.join(item.subfolder ?? '', item.filename);
  const tag = item.type === 'output' ? untag(rel) : null;
  const skip = (why: string) => {
    deps.logger.warn(
      { file: rel, type: item.type, why },
      'an executed file of the journal is not delivered',
    );
    return undefined;
  };
  if (!tag || tag.jobId !== deps.jobId || tag.attempt !== deps.attempt)
    return skip(`it is not under this job's tag (attempt ${deps.attempt})`);
  const root = resolve(deps.sfsOutputDir);
  const path = resolve(root, ...rel.split('/'));
  if (!path.startsWith(root + sep)) return skip('it would leave the output folder');
  const found =
    (await stat(path).catch(() => undefined)) ??
    (await waitForFile(path, deps.missingOutputGraceMs, deps.signal));
  if (!found?.isFile())
    return skip(`it did not appear on the shared volume within ${deps.missingOutputGraceMs} ms`);
  const seenAt = Date.now();
  const node = deps.outputNodes.get(tag.nodeId);
  const stored = await storeTaggedFile(deps.ctx, path, tag, node, key);
  const storedAt = Date.now();
  deps.metrics.output(found.mtimeMs, seenAt, storedAt, storedAt);
  return { ...item, ...stored };
}
