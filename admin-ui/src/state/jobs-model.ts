/**
 * @fileoverview The dashboard's data: every job it knows (from REST lists, live events and action
 * answers), the latest queue status and a short history of queue samples. Pure functions over a
 * plain object, so the merge rules are tested without a browser.
 */
import type { QueueStatus } from '../../../protocol/src/relay/api';
import { RelayEvent, type JobEvent } from '../../../protocol/src/relay/events';
import type { JobState } from '../../../protocol/src/relay/job';

/** A job as events carry it (no prompt/workflow) and when the dashboard last heard of it. */
export type TrackedJob = JobEvent['job'] & { seenAt: number };

export type QueueSample = { at: number; queued: number; running: number };

export type DashboardData = {
  jobs: Map<string, TrackedJob>;
  status: QueueStatus | undefined;
  samples: QueueSample[];
  /** Stream id of the last event applied: the `since` of the next socket. */
  lastEventId: string | undefined;
  /** When the relay last answered (ms epoch). */
  updatedAt: number | undefined;
};

/** Where a job snapshot came from: lists may be older than an event that overtook them. */
export type Source = 'event' | 'list' | 'action';

const SAMPLE_WINDOW_MS = 30 * 60_000;
export const MAX_JOBS = 3000;

const order: Record<JobState, number> = {
  queued: 0,
  submitting: 1,
  warming_up: 2,
  running: 2,
  fetching_outputs: 3,
  done: 4,
  failed: 4,
  cancelled: 4,
};

export const isActive = (state: JobState) => order[state] < 4;

export function emptyData(): DashboardData {
  return {
    jobs: new Map(),
    status: undefined,
    samples: [],
    lastEventId: undefined,
    updatedAt: undefined,
  };
}

/**
 * Insert or replace one job. Events and action answers are the newest word; a list answer is
 * not applied when it would move a job backwards (a list request that was in flight while the
 * job started must not put it back in the queue). Returns whether anything changed.
 */
export function upsertJob(
  data: DashboardData,
  job: JobEvent['job'],
  source: Source,
  now: number,
): boolean {
  const known = data.jobs.get(job.id);
  if (known && source === 'list' && order[job.state] < order[known.state]) return false;
  const {
    prompt: _p,
    extraData: _e,
    ...rest
  } = job as JobEvent['job'] & { prompt?: unknown; extraData?: unknown };
  data.jobs.set(job.id, { ...rest, seenAt: now });
  return true;
}

type ComfyFrame = {
  type: 'comfy';
  id?: unknown;
  jobId?: unknown;
  message?: { type?: unknown; data?: Record<string, unknown> };
};

/**
 * A ComfyUI message of some job. Only `progress` matters here: job snapshots are not re-sent per
 * sampler step, so the step counter comes from these. Checked by hand, not with zod: an admin
 * socket carries every user's progress frames, the hottest path of the page.
 */
function applyComfy(data: DashboardData, frame: ComfyFrame): boolean {
  if (typeof frame.id === 'string') data.lastEventId = frame.id;
  const message = frame.message;
  if (message?.type !== 'progress' || typeof frame.jobId !== 'string') return false;
  const job = data.jobs.get(frame.jobId);
  const value = Number(message.data?.value);
  const max = Number(message.data?.max);
  if (!job || !isActive(job.state) || !Number.isFinite(value) || !Number.isFinite(max))
    return false;
  const nodeId = String(message.data?.node ?? '');
  job.progress = {
    nodeId,
    nodeType: job.progress?.nodeId === nodeId ? job.progress.nodeType : undefined,
    value,
    max,
  };
  return true;
}

/** Apply one text frame of `WS /api/events`: job snapshots, sampler progress; anything else is ignored. */
export function applyEventText(data: DashboardData, text: string, now: number): boolean {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return false;
  }
  if (typeof raw !== 'object' || raw === null) return false;
  const type = (raw as { type?: unknown }).type;
  if (type === 'comfy') return applyComfy(data, raw as ComfyFrame);
  if (type !== 'job') return false;
  const parsed = RelayEvent.safeParse(raw);
  if (!parsed.success || parsed.data.type !== 'job') return false;
  data.lastEventId = parsed.data.id;
  return upsertJob(data, parsed.data.job, 'event', now);
}

/** Apply a REST list (see upsertJob for why it never moves a job backwards). */
export function applyList(data: DashboardData, jobs: JobEvent['job'][], now: number): void {
  for (const job of jobs) upsertJob(data, job, 'list', now);
  data.updatedAt = now;
  prune(data);
}

export function applyStatus(data: DashboardData, status: QueueStatus, now: number): void {
  data.status = status;
  data.updatedAt = now;
  data.samples.push({ at: now, queued: status.queued, running: status.running });
  const cutoff = now - SAMPLE_WINDOW_MS;
  while (data.samples.length > 0 && data.samples[0]!.at < cutoff) data.samples.shift();
}

/** Forget the oldest finished jobs beyond `max`; active jobs are always kept. */
/** Jobs the dashboard still shows as active although the relay's full list of active jobs lacks them. */
export function staleActive(data: DashboardData, activeIds: ReadonlySet<string>): string[] {
  return [...data.jobs.values()]
    .filter((job) => isActive(job.state) && !activeIds.has(job.id))
    .map((job) => job.id);
}

export function prune(data: DashboardData, max = MAX_JOBS): void {
  if (data.jobs.size <= max) return;
  const finished = [...data.jobs.values()]
    .filter((job) => !isActive(job.state))
    .sort((a, b) => (a.finishedAt ?? a.createdAt) - (b.finishedAt ?? b.createdAt));
  for (const job of finished.slice(0, data.jobs.size - max)) data.jobs.delete(job.id);
}
