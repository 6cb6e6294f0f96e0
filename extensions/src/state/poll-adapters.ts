/**
 * @fileoverview Reads the attendee's job lists from the server in either generation's shape:
 * `/api/jobs` (ComfyUI ≥ 0.6, frontend ≥ 1.38.4) or `/queue` + `/history` (older), into PolledJob.
 * Shapes follow comfyui-protocol.md §3; anything unexpected is skipped, never thrown, because one
 * odd record must not blank the tracker (the stock frontend's failure mode, §3.3).
 */
import type { NodeUiOutput } from '../../../protocol/src/relay/job';
import type { JobFailure, PolledJob } from './jobs-state';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : undefined;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

const statuses = ['pending', 'in_progress', 'completed', 'failed', 'cancelled'] as const;

export function failureFrom(e: unknown): JobFailure | undefined {
  if (!isObj(e)) return undefined;
  const message =
    (str(e.exception_message) ?? '').split('\n')[0] || str(e.exception_type) || 'the job failed';
  return {
    message,
    nodeId: str(e.node_id) ?? (num(e.node_id) !== undefined ? String(e.node_id) : ''),
    nodeType: str(e.node_type) ?? '',
    exceptionType: str(e.exception_type),
  };
}

/** One item of `GET /api/jobs` (list or detail). */
export function fromJobsApiItem(item: unknown): PolledJob | undefined {
  if (!isObj(item)) return undefined;
  const id = str(item.id);
  const status = statuses.find((s) => s === item.status);
  const createTime = num(item.create_time);
  if (!id || !status || createTime === undefined) return undefined;
  const job: PolledJob = { id, status, createTime, priority: num(item.priority) };
  const start = num(item.execution_start_time);
  const end = num(item.execution_end_time);
  if (start !== undefined) job.startTime = start;
  if (end !== undefined) job.endTime = end;
  const error = failureFrom(item.execution_error);
  if (error) job.error = error;
  const preview = item.preview_output;
  if (isObj(preview) && str(preview.filename) !== undefined) {
    const nodeId = str(preview.nodeId) ?? '';
    const { nodeId: _n, mediaType: _m, ...file } = preview;
    job.outputs = { [nodeId]: { images: [file] } };
  }
  if (isObj(item.outputs)) job.outputs = item.outputs as Record<string, NodeUiOutput>;
  return job;
}

export function fromJobsApiList(body: unknown): PolledJob[] {
  if (!isObj(body) || !Array.isArray(body.jobs)) return [];
  return body.jobs.map(fromJobsApiItem).filter((j): j is PolledJob => j !== undefined);
}

/** `GET /queue`: `{queue_running: [tuple], queue_pending: [tuple]}` with `[number, id, prompt, extra_data, outputs]`. */
export function fromQueue(body: unknown): PolledJob[] {
  if (!isObj(body)) return [];
  const read = (list: unknown, status: 'pending' | 'in_progress'): PolledJob[] =>
    (Array.isArray(list) ? list : []).flatMap((t): PolledJob[] => {
      if (!Array.isArray(t)) return [];
      const id = str(t[1]);
      const extra = isObj(t[3]) ? t[3] : {};
      if (!id) return [];
      return [{ id, status, priority: num(t[0]), createTime: num(extra.create_time) ?? 0 }];
    });
  return [...read(body.queue_running, 'in_progress'), ...read(body.queue_pending, 'pending')];
}

/** `GET /history?max_items=N`: `{id: {prompt: tuple, outputs, status: {status_str, messages}}}`. */
export function fromHistory(body: unknown): PolledJob[] {
  if (!isObj(body)) return [];
  return Object.entries(body).flatMap(([id, entry]): PolledJob[] => {
    if (!isObj(entry)) return [];
    const prompt = Array.isArray(entry.prompt) ? entry.prompt : [];
    const extra = isObj(prompt[3]) ? prompt[3] : {};
    const status = isObj(entry.status) ? entry.status : {};
    const messages = (Array.isArray(status.messages) ? status.messages : []).filter(
      (m): m is [string, Json] => Array.isArray(m) && typeof m[0] === 'string' && isObj(m[1]),
    );
    const find = (type: string) => messages.find((m) => m[0] === type)?.[1];
    const errorMsg = find('execution_error');
    const interrupted = find('execution_interrupted');
    const polled: PolledJob = {
      id,
      // Same mapping as ComfyUI's jobs API (§3.3): error + interrupted message → cancelled.
      status: status.status_str === 'error' ? (interrupted ? 'cancelled' : 'failed') : 'completed',
      createTime: num(extra.create_time) ?? 0,
      priority: num(prompt[0]),
      startTime: num(find('execution_start')?.timestamp),
      endTime: num((find('execution_success') ?? errorMsg ?? interrupted)?.timestamp),
    };
    const error = failureFrom(errorMsg);
    if (error) polled.error = error;
    if (isObj(entry.outputs)) polled.outputs = entry.outputs as Record<string, NodeUiOutput>;
    return [polled];
  });
}

/** Where to re-run a job from: the API prompt and extra_data it was queued with. */
export type QueuedPrompt = { prompt: Json; extraData: Json };

/** `GET /api/jobs/{id}` detail (`workflow: {prompt, extra_data}`) or `/history/{id}` (`prompt` tuple). */
export function promptFromDetail(body: unknown, id: string): QueuedPrompt | undefined {
  if (!isObj(body)) return undefined;
  if (isObj(body.workflow) && isObj(body.workflow.prompt)) {
    return {
      prompt: body.workflow.prompt,
      extraData: isObj(body.workflow.extra_data) ? body.workflow.extra_data : {},
    };
  }
  const entry = isObj(body[id]) ? body[id] : undefined;
  const tuple = entry && Array.isArray(entry.prompt) ? entry.prompt : undefined;
  if (tuple && isObj(tuple[2]))
    return { prompt: tuple[2], extraData: isObj(tuple[3]) ? tuple[3] : {} };
  return undefined;
}
