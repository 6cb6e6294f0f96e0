/**
 * @fileoverview /api/jobs, /api/jobs/{id}, POST /api/jobs/{id}/cancel, POST /api/jobs/cancel over this
 * replica's queue and history; the derivation is protocol/src/comfy/jobs.ts (ComfyUI's jobs.py).
 */
import type { ComfyAnyQueueItem, ComfyHistoryMap } from '../../../../protocol/src/comfy/http';
import {
  jobDetail,
  jobsFromSources,
  listJobs,
  parseCancelJobsRequest,
  parseJobsQuery,
  type JobSources,
} from '../../../../protocol/src/comfy/jobs';
import type { ReplicaContext } from '../../context';
import { type Ctx } from '../http-kit';
import { json, type Reply } from '../../../../kit/aiohttp-reply';

function sources(ctx: ReplicaContext): JobSources {
  return {
    running: ctx.queue.runningItems() as unknown as ComfyAnyQueueItem[],
    pending: ctx.queue.pendingItems() as unknown as ComfyAnyQueueItem[],
    history: Object.fromEntries(ctx.queue.historyEntries()) as unknown as ComfyHistoryMap,
  };
}

export function listJobsHandler(ctx: ReplicaContext, http: Ctx): Reply {
  const parsed = parseJobsQuery(http.url.searchParams);
  if (!parsed.ok) return json(parsed.body, 400);
  return json(listJobs(jobsFromSources(sources(ctx)), parsed.query));
}

export function getJob(ctx: ReplicaContext, http: Ctx): Reply {
  const job = jobDetail(http.params.id ?? '', sources(ctx));
  return job ? json(job) : json({ error: 'Job not found' }, 404);
}

/** Running → interrupt; pending → dequeue (status broadcast); finished/unknown → no-op. */
function cancel(ctx: ReplicaContext, id: string): boolean {
  if (ctx.queue.runningItems().some((i) => i[1] === id)) {
    ctx.executor.interrupt();
    return true;
  }
  return ctx.queue.deleteQueueItem((item) => item[1] === id);
}

export function cancelJob(ctx: ReplicaContext, http: Ctx): Reply {
  return json({ cancelled: cancel(ctx, http.params.id ?? '') });
}

export async function cancelJobs(ctx: ReplicaContext, http: Ctx): Promise<Reply> {
  const parsed = parseCancelJobsRequest(await http.json());
  if (!parsed.ok) return json(parsed.body, 400);
  let cancelled = false;
  for (const id of parsed.jobIds) cancelled = cancel(ctx, id) || cancelled;
  return json({ cancelled });
}
