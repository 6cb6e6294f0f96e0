import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../../../kit/redis-server';
import { RedisJobStore } from './redis-job-store';

let server: TestRedis;
let redis: Redis;
beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url);
});
afterAll(async () => {
  redis.disconnect();
  await server.stop();
});

const store = () =>
  new RedisJobStore(redis, server.prefix(), {
    leaseMs: 10_000,
    maxQueuedPerUser: 0,
    maxRunningPerUser: 0,
  });

/** Five jobs a millisecond apart (the index orders by creation time); their ids newest first. */
async function fiveJobs(s: RedisJobStore, userId: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const id = randomUUID();
    await s.create(
      {
        id,
        userId,
        clientId: '',
        prompt: { '1': { class_type: 'X', inputs: { seed: i } } },
        extraData: { extra_pnginfo: { workflow: { nodes: [i] } } },
        outputsToExecute: [],
        inputs: [],
      },
      1_700_000_000_000 + i,
    );
    ids.push(id);
  }
  return ids.reverse(); // newest first
}

describe('RedisJobStore.list', () => {
  it('pages newest first and counts every job of the user', async () => {
    const s = store();
    const ids = await fiveJobs(s, 'alice');
    await fiveJobs(s, 'bob');
    const page = await s.list({ userId: 'alice', offset: 1, limit: 2 });
    expect(page.total).toBe(5);
    expect(page.jobs.map((j) => j.id)).toEqual(ids.slice(1, 3));
    const past = await s.list({ userId: 'alice', offset: 5, limit: 2 });
    expect(past).toEqual({ jobs: [], total: 5 });
  });

  it('reads prompt and extra data only when asked for', async () => {
    const s = store();
    const [newest] = await fiveJobs(s, 'carol');
    const bare = await s.list({ userId: 'carol', offset: 0, limit: 1 });
    expect(bare.jobs[0]).toMatchObject({ id: newest, state: 'queued', prompt: {}, extraData: {} });
    const full = await s.list({ userId: 'carol', offset: 0, limit: 1, withPrompts: true });
    expect(full.jobs[0]?.prompt).toEqual({ '1': { class_type: 'X', inputs: { seed: 4 } } });
    expect(full.jobs[0]?.extraData).toEqual({ extra_pnginfo: { workflow: { nodes: [4] } } });
  });

  it('filters by state before paging', async () => {
    const s = store();
    const ids = await fiveJobs(s, 'dave');
    await s.cancelIf(ids[0]!, ['queued']);
    await s.cancelIf(ids[2]!, ['queued']);
    const queued = await s.list({ userId: 'dave', states: ['queued'], offset: 1, limit: 5 });
    expect(queued.total).toBe(3);
    expect(queued.jobs.map((j) => j.id)).toEqual([ids[3], ids[4]]);
    const cancelled = await s.list({ userId: 'dave', states: ['cancelled'], offset: 0 });
    expect(cancelled.jobs.map((j) => j.id)).toEqual([ids[0], ids[2]]);
  });
});
