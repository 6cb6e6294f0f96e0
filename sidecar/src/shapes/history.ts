/**
 * @fileoverview JobView → ComfyUI's queue 5-tuple and history entry (comfyui-protocol.md §3.1–3.2),
 * built exactly as ComfyUI's PromptQueue would have kept the job. Pure.
 */
import type { JobView } from '../../../protocol/src/relay/job';
import { isTerminal } from '../../../protocol/src/relay/job';
import {
  hasStarted,
  historyMessages,
  type HistoryMessage,
} from '../../../protocol/src/comfy/sequence/terminal';
import { localOutputs, type RenameLookup } from './outputs';

export type QueueTuple = [
  number,
  string,
  Record<string, unknown>,
  Record<string, unknown>,
  string[],
];

export type HistoryEntry = {
  prompt: QueueTuple;
  outputs: Record<string, Record<string, unknown[]>>;
  status: { status_str: 'success' | 'error'; completed: boolean; messages: HistoryMessage[] };
  meta: Record<
    string,
    { node_id: string; display_node: string; parent_node: string | null; real_node_id: string }
  >;
};

/** ComfyUI's extra_data: what the browser sent (minus secrets), plus client_id and create_time. */
export function extraDataOf(job: JobView): Record<string, unknown> {
  const { auth_token_comfy_org: _a, api_key_comfy_org: _b, ...extra } = job.extraData ?? {};
  return {
    ...extra,
    ...(job.clientId ? { client_id: job.clientId } : {}),
    create_time: job.createdAt,
  };
}

export function queueTupleFromJob(job: JobView): QueueTuple {
  return [job.number, job.id, job.prompt ?? {}, extraDataOf(job), [...job.outputsToExecute]];
}

/** ComfyUI's `/queue` split: still waiting for dispatch vs taken by a GPU. */
export const isPendingState = (state: JobView['state']): boolean => state === 'queued';
export const isRunningState = (state: JobView['state']): boolean =>
  !isTerminal(state) && state !== 'queued';

/**
 * The history entry of a finished job, or `undefined` when ComfyUI would have none: still active,
 * or cancelled before it started (a deleted pending prompt simply vanishes).
 */
export function historyEntryFromJob(job: JobView, lookup: RenameLookup): HistoryEntry | undefined {
  if (!isTerminal(job.state)) return undefined;
  if (job.state === 'cancelled' && !hasStarted(job)) return undefined;
  const outputs = localOutputs(job.id, job.outputs, lookup);
  const meta: HistoryEntry['meta'] = {};
  for (const node of Object.keys(outputs)) {
    meta[node] = { node_id: node, display_node: node, parent_node: null, real_node_id: node };
  }
  const success = job.state === 'done';
  return {
    prompt: queueTupleFromJob(job),
    outputs,
    status: {
      status_str: success ? 'success' : 'error',
      completed: success,
      messages: historyMessages(job),
    },
    meta,
  };
}
