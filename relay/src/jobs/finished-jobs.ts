/**
 * @fileoverview Jobs that are finished the moment they are submitted, so they never take a GPU slot:
 *  - `cachedFrom`: an identical rerun answered from ComfyUI's cache. Honoured only when the source is
 *    the caller's own done job with the same prompt hash and inputs and every file it named is still
 *    in the caller's output store; the new job then has every node cached, no node executed, and the
 *    source's outputs (ComfyUI's cache replays the same file names). Otherwise the job simply runs.
 *  - `failure`: a failure ComfyUI would have at run time before any GPU work (the sidecar builds the
 *    error as the attendee's ComfyUI words it); the job is created failed with it.
 */
import type { JobError, JobInput, NodeUiOutput, SubmitFailure } from '../../../protocol/src/index';
import type { OutputStore } from '../outputs/output-store';
import { promptHash, type StoredJob } from '../store/job-record';
import type { JobStore } from './job-store';

/** What a cache answer checks: the source job, and that its files are still in the caller's store. */
export type CachedRerunContext = {
  store: Pick<JobStore, 'get'>;
  outputs: Pick<OutputStore, 'resolve'>;
};

export type FinishedFacts = {
  state: 'done' | 'failed';
  facts: {
    executedNodes: string[];
    cachedNodes: string[];
    outputs: Record<string, NodeUiOutput>;
    error?: JobError;
  };
};

type FileItem = { filename: string; subfolder?: string; type: 'output' | 'temp' };

function fileItems(outputs: Record<string, NodeUiOutput>): FileItem[] {
  const items: FileItem[] = [];
  for (const output of Object.values(outputs)) {
    for (const list of Object.values(output)) {
      for (const item of list) {
        const i = item as Partial<FileItem> | null;
        if (
          i &&
          typeof i === 'object' &&
          typeof i.filename === 'string' &&
          (i.type === 'output' || i.type === 'temp')
        )
          items.push(i as FileItem);
      }
    }
  }
  return items;
}

const inputsKey = (inputs: readonly JobInput[]) =>
  JSON.stringify([...inputs].map((i) => `${i.path}\0${i.sha256}`).sort());

async function allStored(
  outputStore: CachedRerunContext['outputs'],
  userId: string,
  outputs: Record<string, NodeUiOutput>,
): Promise<boolean> {
  for (const item of fileItems(outputs)) {
    try {
      await outputStore.resolve(userId, {
        filename: item.filename,
        subfolder: item.subfolder ?? '',
        type: item.type,
      });
    } catch {
      return false;
    }
  }
  return true;
}

/** The facts of a rerun answered from `source`'s cache, or undefined when it must run. */
export async function cachedRerun(
  context: CachedRerunContext,
  userId: string,
  request: {
    cachedFrom: string;
    prompt: Record<string, unknown>;
    outputsToExecute: string[];
    inputs: JobInput[];
  },
): Promise<FinishedFacts | undefined> {
  const source: StoredJob | undefined = await context.store.get(request.cachedFrom);
  if (!source || source.userId !== userId || source.state !== 'done') return undefined;
  if (source.promptHash !== promptHash(request.prompt, request.outputsToExecute)) return undefined;
  if (inputsKey(source.inputs) !== inputsKey(request.inputs)) return undefined;
  if (!(await allStored(context.outputs, userId, source.outputs))) return undefined;
  // ComfyUI replays cached output nodes in the order it schedules them: the outputs to execute.
  const order = [...request.outputsToExecute, ...Object.keys(source.outputs)];
  const outputs = Object.fromEntries(
    [...new Set(order)]
      .filter((node) => node in source.outputs)
      .map((node) => [node, source.outputs[node]!]),
  );
  return {
    state: 'done',
    facts: { executedNodes: [], cachedNodes: Object.keys(request.prompt), outputs },
  };
}

export function failedRun(failure: SubmitFailure): FinishedFacts {
  return {
    state: 'failed',
    facts: {
      executedNodes: failure.executedNodes,
      cachedNodes: [],
      outputs: {},
      error: failure.error,
    },
  };
}
