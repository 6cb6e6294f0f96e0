import { describe, expect, it } from 'vitest';
import type { JobView } from '../../../protocol/src/relay/job';
import { createLiveJobs } from './live-jobs';

const job = (n: number, extra: Partial<JobView> = {}): JobView => ({
  id: `job-${n}`,
  userId: 'alice',
  clientId: '',
  state: 'done',
  lane: 'normal',
  number: n,
  createdAt: 1_000 + n,
  outputsToExecute: [],
  executedNodes: [],
  cachedNodes: [],
  outputs: {},
  statusMessages: [],
  ...extra,
});
const prompt = (n: number) => ({ '1': { class_type: 'X', inputs: { seed: n } } });

/** A relay holding `count` jobs: pages newest first, prompts only when asked, like GET /api/jobs. */
function fakeRelay(count: number) {
  const calls: { offset: number; limit: number; prompts: boolean }[] = [];
  const fetched: string[] = [];
  let jobs = Array.from({ length: count }, (_, i) => job(count - i));
  const strip = ({ prompt: _p, extraData: _e, ...rest }: JobView): JobView => rest;
  return {
    calls,
    fetched,
    set(next: JobView[]) {
      jobs = next;
    },
    async listJobs(q: { offset?: number; limit?: number; prompts?: boolean } = {}) {
      const offset = q.offset ?? 0;
      const limit = q.limit ?? 1000;
      calls.push({ offset, limit, prompts: q.prompts === true });
      const page = jobs.slice(offset, offset + limit);
      return {
        jobs: page.map((j) =>
          q.prompts ? { ...j, prompt: prompt(j.number), extraData: {} } : strip(j),
        ),
        total: jobs.length,
      };
    },
    async getJob(id: string) {
      fetched.push(id);
      const found = jobs.find((j) => j.id === id);
      return found && { ...found, prompt: prompt(found.number), extraData: {} };
    },
  };
}

describe('live job list', () => {
  it('reads every page once, with prompts only when it holds none', async () => {
    const relay = fakeRelay(1_200);
    const live = createLiveJobs(relay);
    expect(live.list().stale).toBe(true);
    await live.resync();
    expect(relay.calls).toEqual([
      { offset: 0, limit: 500, prompts: true },
      { offset: 500, limit: 500, prompts: true },
      { offset: 1_000, limit: 500, prompts: true },
    ]);
    const { jobs, stale } = live.list();
    expect(stale).toBe(false);
    expect(jobs).toHaveLength(1_200);
    expect(jobs[0]).toMatchObject({ id: 'job-1200', prompt: prompt(1_200) });

    // A reconnect: no prompts on the wire; the one job it has no prompt for is read alone.
    relay.calls.length = 0;
    relay.set([job(1_201), ...Array.from({ length: 1_200 }, (_, i) => job(1_200 - i))]);
    await live.resync();
    expect(relay.calls.every((c) => !c.prompts)).toBe(true);
    expect(relay.fetched).toEqual(['job-1201']);
    expect(live.list().jobs[0]).toMatchObject({ id: 'job-1201', prompt: prompt(1_201) });
    expect(live.list().jobs[1]).toMatchObject({ id: 'job-1200', prompt: prompt(1_200) });
  });

  it('keeps prompts across events, and an event seen during a resync wins over the list', async () => {
    const relay = fakeRelay(0);
    const live = createLiveJobs(relay);
    live.submitted(job(1, { state: 'queued', prompt: prompt(1), extraData: { a: 1 } }));
    const { prompt: _p, extraData: _e, ...running } = job(1, { state: 'running' });
    live.apply(running);
    expect(live.list().jobs[0]).toMatchObject({
      state: 'running',
      prompt: prompt(1),
      extraData: { a: 1 },
    });

    relay.set([job(1, { state: 'queued' })]); // the relay's list was read before the job ran
    const resync = live.resync();
    live.apply({ ...running, state: 'done' });
    await resync;
    expect(live.list().jobs).toHaveLength(1);
    expect(live.list().jobs[0]).toMatchObject({ state: 'done', prompt: prompt(1) });
  });

  it('drops jobs the relay no longer lists, and forgets lost ones at once', async () => {
    const relay = fakeRelay(3);
    const live = createLiveJobs(relay);
    await live.resync();
    live.forget(['job-3']);
    expect(live.list().jobs.map((j) => j.id)).toEqual(['job-2', 'job-1']);
    relay.set([job(1)]);
    await live.resync();
    expect(live.list().jobs.map((j) => j.id)).toEqual(['job-1']);
  });
});
