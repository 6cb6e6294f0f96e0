/**
 * @fileoverview Rehearsal numbers from job records, as pure functions: percentiles, per-user
 * summaries, throughput, and fairness (Jain's index and max/min of per-user mean wait).
 */
import { percentile } from '../../../kit/percentile';

export type JobRecord = {
  user: string;
  index: number; // the user's n-th job (0-based)
  ok: boolean;
  error?: string;
  promptId?: string;
  submittedAt: number;
  startedAt?: number;
  finishedAt: number;
};

export type UserSummary = {
  user: string;
  ok: number;
  failed: number;
  meanWaitMs: number;
  p95WaitMs: number;
  meanRunMs: number;
};

export type RehearsalSummary = {
  users: number;
  jobs: number;
  ok: number;
  failed: number;
  wallMs: number;
  throughputPerMin: number;
  wait: { p50: number; p95: number; max: number };
  run: { p50: number; p95: number; max: number };
  fairness: { jainWait: number; maxMinWaitRatio: number };
  perUser: UserSummary[];
  failures: { user: string; index: number; error: string }[];
};

const mean = (values: readonly number[]) =>
  values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0;

/** Jain's fairness index: 1 when every value is equal, 1/n when one takes everything. */
export function jainIndex(values: readonly number[]): number {
  if (values.length === 0) return 1;
  const sum = values.reduce((a, b) => a + b, 0);
  const squares = values.reduce((a, b) => a + b * b, 0);
  return squares === 0 ? 1 : (sum * sum) / (values.length * squares);
}

export const waitMs = (j: JobRecord) => (j.startedAt ?? j.finishedAt) - j.submittedAt;
export const runMs = (j: JobRecord) => (j.startedAt === undefined ? 0 : j.finishedAt - j.startedAt);

export function summarize(jobs: readonly JobRecord[]): RehearsalSummary {
  const ok = jobs.filter((j) => j.ok);
  const users = [...new Set(jobs.map((j) => j.user))].sort();
  const perUser = users.map((user): UserSummary => {
    const mine = jobs.filter((j) => j.user === user);
    const good = mine.filter((j) => j.ok);
    return {
      user,
      ok: good.length,
      failed: mine.length - good.length,
      meanWaitMs: mean(good.map(waitMs)),
      p95WaitMs: percentile(good.map(waitMs), 95, 0),
      meanRunMs: mean(good.map(runMs)),
    };
  });
  const start = Math.min(...jobs.map((j) => j.submittedAt));
  const end = Math.max(...jobs.map((j) => j.finishedAt));
  const wallMs = jobs.length ? end - start : 0;
  const waits = ok.map(waitMs);
  const runs = ok.map(runMs);
  const userWaits = perUser.filter((u) => u.ok > 0).map((u) => u.meanWaitMs);
  const minWait = Math.min(...userWaits);
  return {
    users: users.length,
    jobs: jobs.length,
    ok: ok.length,
    failed: jobs.length - ok.length,
    wallMs,
    throughputPerMin: wallMs > 0 ? (ok.length / wallMs) * 60_000 : 0,
    wait: {
      p50: percentile(waits, 50, 0),
      p95: percentile(waits, 95, 0),
      max: Math.max(0, ...waits),
    },
    run: { p50: percentile(runs, 50, 0), p95: percentile(runs, 95, 0), max: Math.max(0, ...runs) },
    fairness: {
      jainWait: jainIndex(userWaits),
      // With near-zero waits the ratio says nothing: floor the denominator at 100 ms.
      maxMinWaitRatio: userWaits.length ? Math.max(...userWaits) / Math.max(100, minWait) : 1,
    },
    perUser,
    failures: jobs
      .filter((j) => !j.ok)
      .map((j) => ({ user: j.user, index: j.index, error: j.error ?? 'unknown' })),
  };
}
