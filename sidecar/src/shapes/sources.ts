/**
 * @fileoverview This user's relay jobs and the local ComfyUI's own queue/history, merged into the
 * one ComfyUI view (running, pending, history in completion order) from which /queue, /history and
 * /api/jobs are all answered. Every record is checked with the strict ComfyUI schemas AND the
 * frontend's (both generations) before it is served: a bad one is dropped and reported, because one
 * bad record makes the frontend show an empty queue and history. A relay record is checked once per
 * change: the memo keeps each record's verdict by identity (a change replaces the record). Pure but
 * for the memo.
 */
import {
  ComfyHistoryEntry,
  ComfyQueueItem,
  type ComfyAnyQueueItem,
  type ComfyHistoryMap,
} from '../../../protocol/src/comfy/http';
import {
  ComfyFeHistoryItem,
  ComfyFeTaskPrompt,
  ComfyJob,
  ComfyJobDetail,
} from '../../../protocol/src/comfy/http-jobs';
import {
  jobDetailFromHistory,
  jobFromHistory,
  jobFromQueueItem,
  type JobSources,
} from '../../../protocol/src/comfy/jobs';
import { isDict } from '../../../protocol/src/comfy/py-values';
import type { z } from 'zod';
import type { JobView } from '../../../protocol/src/relay/job';
import { firstZodProblem } from '../../../protocol/src/zod-problems';
import { historyEntryFromJob, isPendingState, isRunningState, queueTupleFromJob } from './history';
import type { RenameLookup } from './outputs';

export type Rejected = { id: string; where: string; issue: string };

export type UserView = JobSources & {
  /** Ids of the relay's jobs in this view (for routing cancels and deletes). */
  relayIds: Set<string>;
  rejected: Rejected[];
};

type Checked<T> = { item?: T; rejected?: Rejected };

/** Verdicts per relay record (by identity); a history entry's also by its (renamed) outputs. */
export type ViewMemo = WeakMap<
  JobView,
  {
    queue?: Checked<ComfyAnyQueueItem>;
    history?: { outputs: string; checked: Checked<ComfyHistoryEntry> };
  }
>;

export const createViewMemo = (): ViewMemo => new WeakMap();

export type ViewInput = {
  relayJobs: readonly JobView[];
  memo?: ViewMemo;
  isHidden: (jobId: string, finishedAt: number | undefined) => boolean;
  lookup: RenameLookup;
  /** The local ComfyUI's GET /queue and GET /history bodies (undefined when it did not answer). */
  localQueue?: unknown;
  localHistory?: unknown;
};

function firstIssue(result: { success: boolean; error?: z.ZodError }): string {
  return result.error ? firstZodProblem(result.error) : 'invalid';
}

function checkQueueItem(
  item: unknown,
  status: 'pending' | 'in_progress',
  rejected: Rejected[],
  where: string,
): ComfyAnyQueueItem | undefined {
  const id = Array.isArray(item) ? String(item[1]) : '?';
  for (const schema of [ComfyQueueItem, ComfyFeTaskPrompt]) {
    const result = schema.safeParse(item);
    if (!result.success) return void rejected.push({ id, where, issue: firstIssue(result) });
  }
  const tuple = item as ComfyAnyQueueItem;
  const job = ComfyJob.safeParse(jobFromQueueItem(tuple, status));
  if (!job.success) return void rejected.push({ id, where, issue: firstIssue(job) });
  return tuple;
}

function checkHistoryEntry(
  id: string,
  entry: unknown,
  rejected: Rejected[],
  where: string,
): ComfyHistoryEntry | undefined {
  for (const schema of [ComfyHistoryEntry, ComfyFeHistoryItem]) {
    const result = schema.safeParse(entry);
    if (!result.success) return void rejected.push({ id, where, issue: firstIssue(result) });
  }
  const typed = entry as ComfyHistoryEntry;
  const job = ComfyJob.safeParse(jobFromHistory(id, typed));
  if (!job.success) return void rejected.push({ id, where, issue: firstIssue(job) });
  const detail = ComfyJobDetail.safeParse(jobDetailFromHistory(id, typed));
  if (!detail.success) return void rejected.push({ id, where, issue: firstIssue(detail) });
  return typed;
}

/** When a history entry finished: its last status message's timestamp (0 when unknown). */
function finishedAt(entry: ComfyHistoryEntry): number {
  const messages = entry.status?.messages ?? [];
  const last = messages[messages.length - 1];
  const ts = last?.[1]?.timestamp;
  return typeof ts === 'number' ? ts : 0;
}

/** `check` once per record; its rejection is reported again on every use (it is still left out). */
function remembered<T>(
  rejected: Rejected[],
  cached: Checked<T> | undefined,
  check: (into: Rejected[]) => T | undefined,
): { checked: Checked<T>; item: T | undefined } {
  if (cached) {
    if (cached.rejected) rejected.push(cached.rejected);
    return { checked: cached, item: cached.item };
  }
  const into: Rejected[] = [];
  const item = check(into);
  rejected.push(...into);
  return { checked: { item, rejected: into[0] }, item };
}

export function buildUserView(input: ViewInput): UserView {
  const rejected: Rejected[] = [];
  const memo = input.memo ?? createViewMemo();
  const memoOf = (job: JobView) => {
    let entry = memo.get(job);
    if (!entry) memo.set(job, (entry = {}));
    return entry;
  };
  const relayQueueItem = (job: JobView, status: 'pending' | 'in_progress', where: string) => {
    const entry = memoOf(job);
    const { checked, item } = remembered(rejected, entry.queue, (into) =>
      checkQueueItem(queueTupleFromJob(job), status, into, where),
    );
    entry.queue = checked;
    return item;
  };
  const relayHistoryEntry = (job: JobView) => {
    const raw = historyEntryFromJob(job, input.lookup);
    if (!raw) return undefined;
    const entry = memoOf(job);
    const outputs = JSON.stringify(raw.outputs ?? null);
    const cached = entry.history?.outputs === outputs ? entry.history.checked : undefined;
    const { checked, item } = remembered(rejected, cached, (into) =>
      checkHistoryEntry(job.id, raw, into, 'relay history'),
    );
    entry.history = { outputs, checked };
    return item;
  };
  const relayIds = new Set<string>();
  const running: ComfyAnyQueueItem[] = [];
  const pending: ComfyAnyQueueItem[] = [];
  const finished: { id: string; entry: ComfyHistoryEntry; at: number }[] = [];

  const byStart = [...input.relayJobs].sort(
    (a, b) => (a.startedAt ?? a.createdAt) - (b.startedAt ?? b.createdAt),
  );
  for (const job of byStart) {
    relayIds.add(job.id);
    if (isRunningState(job.state)) {
      const item = relayQueueItem(job, 'in_progress', 'relay running');
      if (item) running.push(item);
    }
  }
  const queued = input.relayJobs
    .filter((job) => isPendingState(job.state))
    .sort((a, b) => (a.position ?? Infinity) - (b.position ?? Infinity) || a.number - b.number);
  for (const job of queued) {
    const item = relayQueueItem(job, 'pending', 'relay pending');
    if (item) pending.push(item);
  }
  for (const job of input.relayJobs) {
    if (input.isHidden(job.id, job.finishedAt)) continue;
    const entry = relayHistoryEntry(job);
    if (entry) finished.push({ id: job.id, entry, at: job.finishedAt ?? finishedAt(entry) });
  }

  if (isDict(input.localQueue)) {
    const { queue_running: r, queue_pending: p } = input.localQueue;
    for (const item of Array.isArray(r) ? r : []) {
      const ok = checkQueueItem(item, 'in_progress', rejected, 'local running');
      if (ok && !relayIds.has(ok[1])) running.push(ok);
    }
    const localPending = (Array.isArray(p) ? p : [])
      .map((item) => checkQueueItem(item, 'pending', rejected, 'local pending'))
      .filter((item): item is ComfyAnyQueueItem => item !== undefined && !relayIds.has(item[1]))
      .sort((a, b) => a[0] - b[0]);
    pending.push(...localPending);
  }
  if (isDict(input.localHistory)) {
    for (const [id, raw] of Object.entries(input.localHistory)) {
      if (relayIds.has(id)) continue;
      const entry = checkHistoryEntry(id, raw, rejected, 'local history');
      if (entry) finished.push({ id, entry, at: finishedAt(entry) });
    }
  }

  finished.sort((a, b) => a.at - b.at);
  const history: ComfyHistoryMap = {};
  for (const { id, entry } of finished) history[id] = entry;
  return { running, pending, history, relayIds, rejected };
}
