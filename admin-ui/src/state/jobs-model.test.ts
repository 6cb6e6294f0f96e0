/** @fileoverview The dashboard's merge rules: events win, lists never move a job backwards, progress frames, pruning. */
import { describe, expect, it } from 'vitest';
import {
  applyEventText,
  applyList,
  applyStatus,
  emptyData,
  prune,
  staleActive,
  upsertJob,
} from './jobs-model';
import { job } from './test-jobs';

const status = (queued: number, running: number) => ({ queued, running, backends: [] });

describe('jobs model', () => {
  it('applies job events and remembers the last event id', () => {
    const data = emptyData();
    const j = job({ state: 'running', startedAt: 5 });
    expect(applyEventText(data, JSON.stringify({ id: '17-0', type: 'job', job: j }), 100)).toBe(
      true,
    );
    expect(data.jobs.get(j.id)?.state).toBe('running');
    expect(data.jobs.get(j.id)?.seenAt).toBe(100);
    expect(data.lastEventId).toBe('17-0');
  });

  it('ignores frames it cannot read without throwing', () => {
    const data = emptyData();
    expect(applyEventText(data, 'not json', 1)).toBe(false);
    expect(
      applyEventText(data, JSON.stringify({ id: '1-0', type: 'job', job: { id: 'nope' } }), 1),
    ).toBe(false);
    expect(applyEventText(data, JSON.stringify({ type: 'something-else' }), 1)).toBe(false);
    expect(data.jobs.size).toBe(0);
  });

  it('takes sampler progress from comfy frames of active jobs only', () => {
    const data = emptyData();
    const running = job({ state: 'running' });
    const done = job({ state: 'done' });
    upsertJob(data, running, 'event', 1);
    upsertJob(data, done, 'event', 1);
    const progress = (jobId: string, value: number) =>
      JSON.stringify({
        id: `2-${value}`,
        type: 'comfy',
        jobId,
        clientId: 'c',
        message: { type: 'progress', data: { node: '3', value, max: 20, prompt_id: jobId } },
      });
    expect(applyEventText(data, progress(running.id, 7), 2)).toBe(true);
    expect(data.jobs.get(running.id)?.progress).toEqual({
      nodeId: '3',
      nodeType: undefined,
      value: 7,
      max: 20,
    });
    expect(applyEventText(data, progress(done.id, 7), 2)).toBe(false);
    expect(data.jobs.get(done.id)?.progress).toBeUndefined();
    expect(data.lastEventId).toBe('2-7');
  });

  it('does not let a list answer move a job backwards, but lets events and actions', () => {
    const data = emptyData();
    const queued = job({ state: 'queued', position: 2 });
    upsertJob(data, { ...queued, state: 'running', position: undefined }, 'event', 10);
    applyList(data, [queued], 20);
    expect(data.jobs.get(queued.id)?.state).toBe('running');
    expect(upsertJob(data, { ...queued, state: 'cancelled' }, 'list', 30)).toBe(true);
    expect(data.jobs.get(queued.id)?.state).toBe('cancelled');
    // Same rank: a lane change from the list is applied.
    const other = job({ state: 'queued' });
    upsertJob(data, other, 'event', 1);
    applyList(data, [{ ...other, lane: 'priority' }], 2);
    expect(data.jobs.get(other.id)?.lane).toBe('priority');
  });

  it('strips prompts from full job views', () => {
    const data = emptyData();
    const j = { ...job(), prompt: { 1: {} }, extraData: { x: 1 } };
    upsertJob(data, j, 'action', 1);
    expect(data.jobs.get(j.id)).not.toHaveProperty('prompt');
    expect(data.jobs.get(j.id)).not.toHaveProperty('extraData');
  });

  it('keeps 30 minutes of queue samples', () => {
    const data = emptyData();
    applyStatus(data, status(5, 1), 0);
    applyStatus(data, status(3, 1), 20 * 60_000);
    applyStatus(data, status(1, 1), 40 * 60_000);
    expect(data.samples.map((s) => s.queued)).toEqual([3, 1]);
    expect(data.status?.queued).toBe(1);
    expect(data.updatedAt).toBe(40 * 60_000);
  });

  it('prunes the oldest finished jobs and never an active one', () => {
    const data = emptyData();
    const active = job({ state: 'queued', createdAt: 0 });
    upsertJob(data, active, 'event', 0);
    const finished = [1, 2, 3, 4].map((i) => job({ state: 'done', finishedAt: i * 100 }));
    for (const f of finished) upsertJob(data, f, 'event', 0);
    prune(data, 3);
    expect([...data.jobs.keys()].sort()).toEqual(
      [active.id, finished[2]!.id, finished[3]!.id].sort(),
    );
  });

  it('finds jobs shown as active that the relay no longer lists as active', () => {
    const data = emptyData();
    const a = job({ state: 'running' });
    const b = job({ state: 'queued' });
    const c = job({ state: 'done' });
    for (const j of [a, b, c]) upsertJob(data, j, 'event', 0);
    expect(staleActive(data, new Set([b.id]))).toEqual([a.id]);
  });
});
