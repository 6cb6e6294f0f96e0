/** @fileoverview Rehearsal statistics (percentiles: kit/percentile.test.ts): Jain's index, per-user summaries. */
import { describe, expect, it } from 'vitest';
import { jainIndex, summarize, type JobRecord } from './stats';

describe('rehearsal stats', () => {
  it("Jain's index is 1 for equal shares and 1/n when one user takes everything", () => {
    expect(jainIndex([3, 3, 3, 3])).toBeCloseTo(1);
    expect(jainIndex([12, 0, 0, 0])).toBeCloseTo(0.25);
  });

  it('summarises waits, runs, throughput, fairness and failures per user', () => {
    const jobs: JobRecord[] = [
      { user: 'a', index: 0, ok: true, submittedAt: 0, startedAt: 1000, finishedAt: 3000 },
      { user: 'a', index: 1, ok: true, submittedAt: 0, startedAt: 3000, finishedAt: 5000 },
      { user: 'b', index: 0, ok: true, submittedAt: 0, startedAt: 2000, finishedAt: 4000 },
      { user: 'b', index: 1, ok: false, error: 'GPU down', submittedAt: 0, finishedAt: 6000 },
    ];
    const s = summarize(jobs);
    expect(s).toMatchObject({ users: 2, jobs: 4, ok: 3, failed: 1, wallMs: 6000 });
    expect(s.throughputPerMin).toBeCloseTo(30);
    expect(s.perUser).toEqual([
      { user: 'a', ok: 2, failed: 0, meanWaitMs: 2000, p95WaitMs: 3000, meanRunMs: 2000 },
      { user: 'b', ok: 1, failed: 1, meanWaitMs: 2000, p95WaitMs: 2000, meanRunMs: 2000 },
    ]);
    expect(s.fairness.jainWait).toBeCloseTo(1);
    expect(s.failures).toEqual([{ user: 'b', index: 1, error: 'GPU down' }]);
    expect(s.wait.p95).toBe(3000);
  });
});
