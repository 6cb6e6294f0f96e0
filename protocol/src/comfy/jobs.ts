/**
 * @fileoverview ComfyUI's jobs API derivation (`comfy_execution/jobs.py` and the `/api/jobs`,
 * `/history`, `/queue` handlers of server.py, ComfyUI 0.27) as pure functions, so a sidecar can
 * answer from its own store exactly as ComfyUI would from its queue and history.
 *
 * Python's `prune_dict` drops `None` values: optional keys are absent, never `null`.
 */
import type { ComfyJob, ComfyJobDetail, ComfyJobStatus } from './http-jobs';
import type { ComfyAnyQueueItem, ComfyHistoryEntry, ComfyHistoryMap } from './http';
import { isDict } from './py-values';
import { outputsSummary, normalizeOutputs } from './job-outputs';

export { outputsSummary, normalizeOutputs, isPreviewable } from './job-outputs';

/** Drops keys whose value is null/undefined, keeping the order of the rest. */
function prune<T extends Record<string, unknown>>(d: T): T {
  return Object.fromEntries(
    Object.entries(d).filter(([, v]) => v !== null && v !== undefined),
  ) as T;
}

/** `_extract_job_metadata`: create_time and extra_pnginfo.workflow.id. */
function metadata(extraData: unknown): { createTime: unknown; workflowId: unknown } {
  const extra = isDict(extraData) ? extraData : {};
  const pnginfo = isDict(extra['extra_pnginfo']) ? extra['extra_pnginfo'] : {};
  const workflow = isDict(pnginfo['workflow']) ? pnginfo['workflow'] : {};
  return { createTime: extra['create_time'], workflowId: workflow['id'] };
}

/** `normalize_queue_item`: a running (`in_progress`) or pending queue item as a job. */
export function jobFromQueueItem(
  item: ComfyAnyQueueItem,
  status: 'pending' | 'in_progress',
): ComfyJob {
  const { createTime, workflowId } = metadata(item[3]);
  return prune({
    id: item[1],
    status,
    priority: item[0],
    create_time: createTime,
    outputs_count: 0,
    workflow_id: workflowId,
  }) as ComfyJob;
}

/** Start/end times, the error payload and whether it was interrupted, from `status.messages`. */
function fromMessages(status: Record<string, unknown>) {
  let start: unknown;
  let end: unknown;
  let error: unknown;
  let interrupted = false;
  const messages = Array.isArray(status['messages']) ? status['messages'] : [];
  for (const entry of messages) {
    if (!Array.isArray(entry) || entry.length < 2) continue;
    const [event, data] = entry as [unknown, unknown];
    if (!isDict(data)) continue;
    if (event === 'execution_start') start = data['timestamp'];
    else if (
      event === 'execution_success' ||
      event === 'execution_error' ||
      event === 'execution_interrupted'
    ) {
      end = data['timestamp'];
      if (event === 'execution_error') error = data;
      else if (event === 'execution_interrupted') interrupted = true;
    }
  }
  return { start, end, error, interrupted };
}

/**
 * `normalize_history_item`: a finished job. Status: success → completed; error → cancelled when
 * an `execution_interrupted` message is present, else failed; no status → completed.
 */
export function jobFromHistory(promptId: string, entry: ComfyHistoryEntry): ComfyJob {
  return historyJob(promptId, entry, false);
}

/** `normalize_history_item(include_outputs=True)`: what GET /api/jobs/{id} serves for a finished job. */
export function jobDetailFromHistory(promptId: string, entry: ComfyHistoryEntry): ComfyJobDetail {
  return historyJob(promptId, entry, true);
}

function historyJob(
  promptId: string,
  entry: ComfyHistoryEntry,
  includeOutputs: boolean,
): ComfyJobDetail {
  const [priority, , prompt, extraData] = entry.prompt;
  const { createTime, workflowId } = metadata(extraData);
  const statusInfo: unknown = Object.prototype.hasOwnProperty.call(entry, 'status')
    ? entry.status
    : {};
  const status = isDict(statusInfo) ? statusInfo : {};
  const outputs: Record<string, unknown> = isDict(entry.outputs) ? entry.outputs : {};
  const { count, preview } = outputsSummary(outputs);
  const { start, end, error, interrupted } = fromMessages(status);
  const statusStr = Object.keys(status).length > 0 ? status['status_str'] : undefined;
  const jobStatus: ComfyJobStatus =
    statusStr === 'success'
      ? 'completed'
      : statusStr === 'error'
        ? interrupted
          ? 'cancelled'
          : 'failed'
        : 'completed';
  const job = prune({
    id: promptId,
    status: jobStatus,
    priority,
    create_time: createTime,
    execution_start_time: start,
    execution_end_time: end,
    execution_error: error,
    outputs_count: count,
    preview_output: preview,
    workflow_id: workflowId,
  }) as ComfyJobDetail;
  if (includeOutputs) {
    job.outputs = normalizeOutputs(outputs) as ComfyJobDetail['outputs'];
    job.execution_status = statusInfo;
    job.workflow = { prompt, extra_data: extraData };
  }
  return job;
}

/** ComfyUI's queue and history, as the jobs functions read them. */
export interface JobSources {
  running: ComfyAnyQueueItem[];
  pending: ComfyAnyQueueItem[];
  history: ComfyHistoryMap;
}

/**
 * `get_job`: history first, then running, then pending; `null` → 404 `{"error": "Job not found"}`.
 * Queued jobs come back in the short list form (ComfyUI 0.27 adds no workflow for them).
 */
export function jobDetail(promptId: string, sources: JobSources): ComfyJobDetail | null {
  const entry = Object.prototype.hasOwnProperty.call(sources.history, promptId)
    ? sources.history[promptId]
    : undefined;
  if (entry) return jobDetailFromHistory(promptId, entry);
  const running = sources.running.find((i) => i[1] === promptId);
  if (running) return jobFromQueueItem(running, 'in_progress');
  const pending = sources.pending.find((i) => i[1] === promptId);
  return pending ? jobFromQueueItem(pending, 'pending') : null;
}

/** Every job in `get_all_jobs` order: running, pending (heap order), then history (insertion order). */
export function jobsFromSources(sources: JobSources): ComfyJob[] {
  return [
    ...sources.running.map((i) => jobFromQueueItem(i, 'in_progress')),
    ...sources.pending.map((i) => jobFromQueueItem(i, 'pending')),
    ...Object.entries(sources.history).map(([id, entry]) => jobFromHistory(id, entry)),
  ];
}

export * from './jobs-list';
export * from './history';
