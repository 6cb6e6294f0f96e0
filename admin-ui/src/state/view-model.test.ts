/** @fileoverview What the dashboard shows: headline numbers, per-user rows, job rows and their order, failures, backends. */
import { describe, expect, it } from 'vitest';
import { emptyData, upsertJob, type DashboardData } from './jobs-model';
import { job } from './test-jobs';
import { describeError, jobRows } from './job-rows';
import { backendRows, failureRows, sortUserRows, summarize, userRows } from './view-model';

const MIN = 60_000;
const NOW = 100 * MIN;

function data(jobs: ReturnType<typeof job>[], seenAt = NOW): DashboardData {
  const d = emptyData();
  for (const j of jobs) upsertJob(d, j, 'event', seenAt);
  return d;
}

const error = (over: Partial<{ message: string; nodeId: string; nodeType: string }> = {}) => ({
  message: 'CUDA out of memory',
  nodeId: '3',
  nodeType: 'KSampler',
  exceptionType: 'torch.OutOfMemoryError',
  exceptionMessage: 'CUDA out of memory. Tried to allocate…',
  traceback: [],
  currentInputs: {},
  currentOutputs: [],
  ...over,
});

describe('summarize', () => {
  it('counts the last hour, buckets throughput and waits per minute, and prefers the relay status', () => {
    const d = data([
      job({
        state: 'done',
        createdAt: NOW - 10 * MIN,
        startedAt: NOW - 9 * MIN,
        finishedAt: NOW - 5 * MIN - 1,
      }),
      job({
        state: 'done',
        createdAt: NOW - 3 * MIN,
        startedAt: NOW - 3 * MIN + 30_000,
        finishedAt: NOW - 30_000,
      }),
      job({
        state: 'done',
        createdAt: NOW - 90 * MIN,
        startedAt: NOW - 89 * MIN,
        finishedAt: NOW - 88 * MIN,
      }),
      job({ state: 'failed', createdAt: NOW - 2 * MIN, finishedAt: NOW - MIN }),
      job({ state: 'queued' }),
    ]);
    let s = summarize(d, NOW);
    expect(s.queued).toBe(1);
    expect(s.doneLastHour).toBe(2);
    expect(s.failedLastHour).toBe(1);
    expect(s.throughput).toHaveLength(30);
    expect(s.throughput[29]).toBe(1);
    expect(s.throughput[24]).toBe(1);
    expect(s.throughput.reduce((a, b) => a + b, 0)).toBe(2);
    expect(s.meanWaitMs).toBe((MIN + 30_000) / 2);
    expect(s.waitTrend[27]).toBe(30_000);
    expect(s.waitTrend[0]).toBeUndefined();

    d.status = {
      queued: 7,
      running: 2,
      backends: [
        { name: 'a', kind: 'direct', state: 'ready', running: 2, capacity: 3 },
        { name: 'b', kind: 'direct', state: 'down', running: 0, capacity: 5 },
      ],
    };
    d.samples = [
      { at: NOW - 2 * MIN + 1, queued: 4, running: 1 },
      { at: NOW - 2 * MIN + 2, queued: 6, running: 1 },
    ];
    s = summarize(d, NOW);
    expect(s.queued).toBe(7);
    expect(s.running).toBe(2);
    expect(s.capacity).toBe(3); // a down backend has no usable slots
    expect(s.depthTrend[28]).toBe(6);
  });
});

describe('userRows', () => {
  it('counts per user, uses the relay counts for queued/running, sorted by user id', () => {
    const d = data([
      job({ userId: 'amy', state: 'done', createdAt: 0, startedAt: 4_000, finishedAt: 9_000 }),
      job({
        userId: 'amy',
        state: 'failed',
        createdAt: 10_000,
        startedAt: 12_000,
        finishedAt: 20_000,
      }),
      job({ userId: 'bob', state: 'queued', createdAt: 30_000 }),
      job({ userId: 'cat', state: 'running', createdAt: 5_000, startedAt: 6_000 }),
    ]);
    let rows = userRows(d);
    expect(rows.map((r) => r.userId)).toEqual(['amy', 'bob', 'cat']);
    expect(userRows(d, { key: 'running', dir: 'desc' }).map((r) => r.userId)).toEqual([
      'cat',
      'amy',
      'bob',
    ]);
    expect(rows.find((r) => r.userId === 'amy')).toEqual({
      userId: 'amy',
      queued: 0,
      running: 0,
      done: 1,
      failed: 1,
      lastActivity: 20_000,
      meanWaitMs: 3_000,
    });
    expect(rows.find((r) => r.userId === 'cat')?.running).toBe(1);
    d.status = {
      queued: 3,
      running: 0,
      backends: [],
      byUser: { bob: { queued: 2, running: 0 }, dan: { queued: 1, running: 0 } },
    };
    rows = userRows(d, { key: 'queued', dir: 'desc' });
    expect(rows.map((r) => [r.userId, r.queued, r.running])).toEqual([
      ['bob', 2, 0],
      ['dan', 1, 0],
      ['amy', 0, 0],
      ['cat', 0, 0],
    ]);
  });

  it('sorts user ids as people read them, and any column both ways with blanks last', () => {
    const row = (userId: string, meanWaitMs?: number) =>
      ({
        userId,
        queued: 0,
        running: 0,
        done: 0,
        failed: 0,
        lastActivity: undefined,
        meanWaitMs,
      }) as const;
    const rows = [row('user010', 5), row('user2'), row('user001', 9), row('user100', 5)];
    expect(sortUserRows(rows, { key: 'userId', dir: 'asc' }).map((r) => r.userId)).toEqual([
      'user001',
      'user2',
      'user010',
      'user100',
    ]);
    expect(sortUserRows(rows, { key: 'userId', dir: 'desc' }).map((r) => r.userId)).toEqual([
      'user100',
      'user010',
      'user2',
      'user001',
    ]);
    expect(sortUserRows(rows, { key: 'meanWaitMs', dir: 'desc' }).map((r) => r.userId)).toEqual([
      'user001',
      'user010',
      'user100',
      'user2',
    ]);
    expect(sortUserRows(rows, { key: 'meanWaitMs', dir: 'asc' }).map((r) => r.userId)).toEqual([
      'user010',
      'user100',
      'user001',
      'user2',
    ]);
  });
});

describe('jobRows', () => {
  it('orders running, then the queue by position, then finished newest first, and filters', () => {
    const running = job({ state: 'running', startedAt: NOW - 5_000 });
    const warming = job({
      state: 'warming_up',
      createdAt: NOW - 60_000,
      coldStartSince: NOW - 40_000,
    });
    const second = job({ state: 'queued', position: 2, userId: 'bob' });
    const first = job({ state: 'queued', position: 1, lane: 'priority' });
    const old = job({ state: 'done', finishedAt: NOW - 50_000 });
    const recent = job({ state: 'failed', finishedAt: NOW - 1_000, error: error() });
    const d = data([old, second, recent, running, first, warming]);
    expect(jobRows(d, NOW, { view: 'all' }).map((r) => r.id)).toEqual([
      warming.id,
      running.id,
      first.id,
      second.id,
      recent.id,
      old.id,
    ]);
    expect(jobRows(d, NOW, { view: 'active' }).map((r) => r.id)).toEqual([
      warming.id,
      running.id,
      first.id,
      second.id,
    ]);
    expect(jobRows(d, NOW, { view: 'failed' }).map((r) => r.id)).toEqual([recent.id]);
    expect(jobRows(d, NOW, { view: 'all', user: 'bob' }).map((r) => r.id)).toEqual([second.id]);
  });

  it('says "#1 of N" with the same N as the Queued tile (the live status), not a stale snapshot', () => {
    const first = job({ state: 'queued', position: 1, queueLength: 29 });
    const d = data([first]);
    expect(jobRows(d, NOW, { view: 'all' })[0]!.detail).toBe('#1 of 29 in queue');
    d.status = { queued: 31, running: 0, backends: [] };
    expect(jobRows(d, NOW, { view: 'all' })[0]!.detail).toBe('#1 of 31 in queue');
    expect(summarize(d, NOW).queued).toBe(31);
  });

  it('describes each state with position, ETA, elapsed, progress and actions', () => {
    const queued = job({
      state: 'queued',
      position: 3,
      queueLength: 5,
      createdAt: NOW - 75_000,
      etaMs: 90_000,
    });
    const running = job({
      state: 'running',
      startedAt: NOW - 30_000,
      etaMs: 20_000,
      progress: { nodeId: '3', nodeType: 'KSampler', value: 5, max: 20 },
      backend: 'gpu-1',
    });
    const warming = job({ state: 'warming_up', coldStartSince: NOW - 45_000 });
    const failed = job({
      state: 'failed',
      createdAt: NOW - 12_000,
      finishedAt: NOW - 2_000,
      error: error(),
    });
    // The ETA counts down from when the snapshot was seen (10 s ago).
    const d = data([queued, running, warming, failed], NOW - 10_000);
    const rows = Object.fromEntries(jobRows(d, NOW, { view: 'all' }).map((r) => [r.id, r]));
    expect(rows[queued.id]).toMatchObject({
      label: 'Queued',
      detail: '#3 of 5 in queue',
      eta: 'starts in ~80 s',
      elapsed: 'waiting 75 s',
      canCancel: true,
      canPrioritize: true,
      position: 3,
    });
    expect(rows[running.id]).toMatchObject({
      detail: 'KSampler · step 5/20',
      eta: '~10 s left',
      elapsed: 'running 30 s',
      progress: 0.25,
      canPrioritize: false,
      backend: 'gpu-1',
    });
    expect(rows[warming.id]).toMatchObject({
      label: 'GPU warming up',
      tone: 'warn',
      detail: '',
      elapsed: 'cold start 45 s',
    });
    expect(rows[failed.id]).toMatchObject({
      tone: 'bad',
      error: 'KSampler (node #3): CUDA out of memory',
      elapsed: 'took 10 s',
      canCancel: false,
    });
  });
});

describe('describeError and failureRows', () => {
  it('names the node once, and falls back to the job-level message', () => {
    expect(describeError(error({ message: 'KSampler (node 3) failed on the GPU: boom' }))).toBe(
      'KSampler (node 3) failed on the GPU: boom',
    );
    expect(
      describeError(
        error({
          nodeId: '',
          nodeType: '',
          message: 'prompt never appeared on any replica after 600 s',
        }),
      ),
    ).toBe('prompt never appeared on any replica after 600 s');
    expect(describeError(undefined)).toBeUndefined();
  });

  it('lists the latest failures with their reasons', () => {
    const a = job({ state: 'failed', userId: 'amy', finishedAt: 10, error: error() });
    const b = job({ state: 'failed', userId: 'bob', finishedAt: 20 });
    const rows = failureRows(data([a, b, job({ state: 'done', finishedAt: 30 })]));
    expect(rows.map((r) => [r.userId, r.reason, r.exception])).toEqual([
      ['bob', 'failed without a reason (the relay recorded no error)', ''],
      ['amy', 'KSampler (node #3): CUDA out of memory', 'torch.OutOfMemoryError'],
    ]);
  });
});

describe('backendRows', () => {
  it('labels each backend state and its load', () => {
    const d = emptyData();
    d.status = {
      queued: 0,
      running: 0,
      backends: [
        { name: 'h200', kind: 'serverless', state: 'warming_up', running: 3, capacity: 4 },
        { name: 'gpu-b', kind: 'direct', state: 'down', running: 0, capacity: 0 },
        { name: 'serverless', kind: 'serverless', state: 'ready', running: 0, capacity: 4 },
      ],
    };
    expect(
      backendRows(d, Date.now()).map((b) => [b.name, b.kind, b.label, b.tone, b.load]),
    ).toEqual([
      ['h200', 'serverless', 'Warming up', 'warn', 0.75],
      ['gpu-b', 'direct', 'Down', 'bad', 0],
      ['serverless', '', 'Ready', 'ok', 0], // not "serverless serverless"
    ]);
  });
});
