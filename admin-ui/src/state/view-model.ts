/**
 * @fileoverview What the dashboard shows, as pure functions of its data and the clock: headline
 * numbers and trends, backend cards, the per-user table and recent failures (job rows: job-rows.ts).
 */
import { formatAgo, shortId } from './format';
import { describeError } from './job-rows';
import { isActive, type DashboardData, type TrackedJob } from './jobs-model';
import type { Tone } from './tones';

/** How long a job waited before it started (queue, submit and cold start), when it has started. */
export function waitMs(job: TrackedJob): number | undefined {
  const started = job.startedAt ?? job.submittedAt;
  return started === undefined ? undefined : Math.max(0, started - job.createdAt);
}

const mean = (values: number[]) =>
  values.length ? values.reduce((a, b) => a + b, 0) / values.length : undefined;

export type Summary = {
  queued: number;
  running: number;
  capacity: number;
  doneLastHour: number;
  failedLastHour: number;
  meanWaitMs: number | undefined;
  /** Per-minute buckets, oldest first. */
  throughput: number[];
  waitTrend: (number | undefined)[];
  depthTrend: number[];
};

/**
 * Headline numbers. Queue counts come from the relay's status (authoritative across relays);
 * throughput and waits come from the jobs the dashboard knows, bucketed per minute.
 */
export function summarize(data: DashboardData, now: number, minutes = 30): Summary {
  const jobs = [...data.jobs.values()];
  const hourAgo = now - 3_600_000;
  const start = now - minutes * 60_000;
  const bucket = (at: number) => Math.floor((at - start) / 60_000);
  const throughput = new Array<number>(minutes).fill(0);
  const waits: number[][] = Array.from({ length: minutes }, () => []);
  for (const job of jobs) {
    if (job.state === 'done' && job.finishedAt !== undefined && job.finishedAt >= start) {
      const i = bucket(job.finishedAt);
      if (i >= 0 && i < minutes) throughput[i]!++;
    }
    const w = waitMs(job);
    const startedAt = job.startedAt ?? job.submittedAt;
    if (w !== undefined && startedAt !== undefined && startedAt >= start) {
      const i = bucket(startedAt);
      if (i >= 0 && i < minutes) waits[i]!.push(w);
    }
  }
  const depthTrend = new Array<number>(minutes).fill(0);
  for (const sample of data.samples) {
    const i = bucket(sample.at);
    if (i >= 0 && i < minutes) depthTrend[i] = Math.max(depthTrend[i]!, sample.queued);
  }
  const status = data.status;
  const active = jobs.filter((j) => isActive(j.state));
  return {
    queued: status?.queued ?? active.filter((j) => j.state === 'queued').length,
    running: status?.running ?? active.filter((j) => j.state !== 'queued').length,
    capacity: status?.backends.reduce((n, b) => n + (b.state === 'down' ? 0 : b.capacity), 0) ?? 0,
    doneLastHour: jobs.filter((j) => j.state === 'done' && (j.finishedAt ?? 0) >= hourAgo).length,
    failedLastHour: jobs.filter((j) => j.state === 'failed' && (j.finishedAt ?? 0) >= hourAgo)
      .length,
    meanWaitMs: mean(waits.flat()),
    throughput,
    waitTrend: waits.map(mean),
    depthTrend,
  };
}

export type BackendRow = {
  name: string;
  kind: string;
  label: string;
  tone: Tone;
  running: number;
  capacity: number;
  load: number;
  /** A pull worker's box: the jobs it runs now (short ids) and when it was last heard from. */
  worker?: { jobs: string; seen: string };
};

const backendLabels = {
  ready: ['Ready', 'ok'],
  warming_up: ['Warming up', 'warn'],
  degraded: ['Degraded', 'warn'],
  down: ['Down', 'bad'],
} as const;

export function backendRows(data: DashboardData, now: number): BackendRow[] {
  return (data.status?.backends ?? []).map((b) => ({
    name: b.name,
    // The default backend is named after its kind ("serverless"): say it once.
    kind: b.kind === b.name ? '' : b.kind,
    label: backendLabels[b.state][0],
    tone: backendLabels[b.state][1],
    running: b.running,
    capacity: b.capacity,
    load: b.capacity > 0 ? Math.min(1, b.running / b.capacity) : 0,
    ...(b.jobs || b.lastSeenAt !== undefined
      ? {
          worker: {
            jobs: b.jobs?.length ? b.jobs.map(shortId).join(', ') : 'no job',
            seen: `seen ${formatAgo(b.lastSeenAt, now)}`,
          },
        }
      : {}),
  }));
}

export type UserRow = {
  userId: string;
  queued: number;
  running: number;
  done: number;
  failed: number;
  lastActivity: number | undefined;
  meanWaitMs: number | undefined;
};

export type UserSortKey =
  'userId' | 'queued' | 'running' | 'done' | 'failed' | 'lastActivity' | 'meanWaitMs';
export type UserSort = { key: UserSortKey; dir: 'asc' | 'desc' };

/** Where a click on a column starts: names A→Z, numbers and times largest/newest first. */
export const defaultSortDir = (key: UserSortKey): UserSort['dir'] =>
  key === 'userId' ? 'asc' : 'desc';

const byName = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** Rows in `sort` order; ties (and missing values, always last) fall back to the user id. */
export function sortUserRows(rows: readonly UserRow[], sort: UserSort): UserRow[] {
  const sign = sort.dir === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    if (sort.key !== 'userId') {
      const x = a[sort.key];
      const y = b[sort.key];
      if (x === undefined || y === undefined) {
        if (x !== y) return x === undefined ? 1 : -1;
      } else if (x !== y) return sign * (x - y);
    }
    return (sort.key === 'userId' ? sign : 1) * byName.compare(a.userId, b.userId);
  });
}

/** One row per user seen in the status or the jobs, in `sort` order (default: user001, user002 …). */
export function userRows(
  data: DashboardData,
  sort: UserSort = { key: 'userId', dir: 'asc' },
): UserRow[] {
  const rows = new Map<string, UserRow & { waits: number[] }>();
  const row = (userId: string) => {
    let r = rows.get(userId);
    if (!r)
      rows.set(
        userId,
        (r = {
          userId,
          queued: 0,
          running: 0,
          done: 0,
          failed: 0,
          lastActivity: undefined,
          meanWaitMs: undefined,
          waits: [],
        }),
      );
    return r;
  };
  const byUser = data.status?.byUser;
  for (const job of data.jobs.values()) {
    const r = row(job.userId);
    if (!byUser) {
      if (job.state === 'queued') r.queued++;
      else if (isActive(job.state)) r.running++;
    }
    if (job.state === 'done') r.done++;
    if (job.state === 'failed') r.failed++;
    const last = Math.max(job.createdAt, job.startedAt ?? 0, job.finishedAt ?? 0);
    r.lastActivity = Math.max(r.lastActivity ?? 0, last);
    const w = waitMs(job);
    if (w !== undefined) r.waits.push(w);
  }
  for (const [userId, counts] of Object.entries(byUser ?? {})) {
    const r = row(userId);
    r.queued = counts.queued;
    r.running = counts.running;
  }
  return sortUserRows(
    [...rows.values()].map(({ waits, ...r }) => ({ ...r, meanWaitMs: mean(waits) })),
    sort,
  );
}

export type FailureRow = {
  id: string;
  userId: string;
  at: number;
  reason: string;
  exception: string;
};

export function failureRows(data: DashboardData, limit = 8): FailureRow[] {
  return [...data.jobs.values()]
    .filter((job) => job.state === 'failed')
    .sort((a, b) => (b.finishedAt ?? b.createdAt) - (a.finishedAt ?? a.createdAt))
    .slice(0, limit)
    .map((job) => ({
      id: job.id,
      userId: job.userId,
      at: job.finishedAt ?? job.createdAt,
      reason: describeError(job.error) ?? 'failed without a reason (the relay recorded no error)',
      exception: job.error?.exceptionType ?? '',
    }));
}
