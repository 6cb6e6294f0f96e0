import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../../../kit/redis-server';
import { RelayError } from '../errors';
import type { NewJob } from '../jobs/job-store';
import { RedisEventStreams } from './redis-event-streams';
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

const store = (opts: Partial<{ maxQueuedPerUser: number; maxRunningPerUser: number }> = {}) =>
  new RedisJobStore(redis, server.prefix(), {
    leaseMs: 10_000,
    maxQueuedPerUser: 0,
    maxRunningPerUser: 0,
    ...opts,
  });
const job = (
  userId: string,
  prompt: Record<string, unknown> = { '1': { class_type: 'X', inputs: {} } },
): NewJob => ({
  id: randomUUID(),
  userId,
  clientId: '',
  prompt,
  extraData: {},
  outputsToExecute: [],
  inputs: [],
});
const one = [{ name: 'gpu', capacity: 100 }];

describe('RedisJobStore', () => {
  it('creates a job once per id and refuses the id with another prompt', async () => {
    const s = store();
    const j = job('alice');
    expect((await s.create(j)).created).toBe(true);
    expect((await s.create(j)).created).toBe(false);
    const other = { ...j, prompt: { '1': { class_type: 'Y', inputs: {} } } };
    await expect(s.create(other)).rejects.toMatchObject({ code: 'conflict' });
    expect((await s.counts()).queued).toBe(1);
  });

  it('answers a new job as a read would show it, without reading it back', async () => {
    const s = store();
    await s.create(job('alice'));
    const j = {
      ...job('bob', { '1': { class_type: 'X', inputs: { seed: 3 } } }),
      promptId: 'p-1',
      clientId: 'tab-1',
      extraData: { extra_pnginfo: { workflow: { nodes: [] } } },
      outputsToExecute: ['1'],
      number: 41,
    };
    const { job: created } = await s.create(j, 1_700_000_000_000);
    expect(created.position).toBe(2);
    expect(created.number).toBe(41);
    expect(created).toEqual(await s.get(j.id));
    const numbered = job('carol');
    const { job: second } = await s.create(numbered);
    expect(second).toEqual(await s.get(numbered.id));
    expect(second.number).toBeGreaterThan(0);
  });

  it("dispatches round-robin across users: a user's n-th job waits behind others' earlier jobs", async () => {
    const s = store();
    const a = [job('a'), job('a'), job('a')];
    for (const j of a) await s.create(j);
    const b1 = job('b');
    await s.create(b1);
    const first = await s.claim('r1', one);
    expect(first?.id).toBe(a[0]!.id);
    const c1 = job('c');
    await s.create(c1);
    const order = [];
    for (let i = 0; i < 4; i++) order.push((await s.claim('r1', one))?.id);
    // Round 0 is every user's first job (a1 ran, b1 and c1 still owed their turn), round 1 the second…
    expect(order).toEqual([b1.id, c1.id, a[1]!.id, a[2]!.id]);
  });

  it('rotates the order within a round: the longest mean wait so far goes first', async () => {
    const s = store();
    const [a, b, c] = ['a', 'b', 'c'].map((u) => [job(u), job(u), job(u)]) as NewJob[][];
    // Clicks interleaved a b c a b c a b c, nothing dispatched meanwhile: arrival order used to
    // decide every round (a b c, a b c, a b c).
    for (let k = 0; k < 3; k++) for (const user of [a, b, c]) await s.create(user![k]!);
    const order = [];
    for (let i = 0; i < 9; i++) order.push((await s.claim('r', one))?.id);
    const name = new Map(
      [a, b, c].flatMap((u, i) => u!.map((j, k) => [j.id, `${'abc'[i]}${k + 1}`])),
    );
    expect(order.map((id) => name.get(id!))).toEqual([
      ...['a1', 'b1', 'c1'], // everyone new: arrival order
      ...['c2', 'b2', 'a2'], // c waited longest (2 jobs ahead), a least
      ...['c3', 'b3', 'a3'],
    ]);
  });

  it('computes positions on read, in dispatch order, without storing them per job', async () => {
    const s = store();
    const [a1, a2, b1] = [job('a'), job('a'), job('b')];
    for (const j of [a1, a2, b1]) await s.create(j);
    const positions = async () => (await s.getMany([a1.id, a2.id, b1.id])).map((j) => j.position);
    expect(await positions()).toEqual([1, 3, 2]);
    expect(await s.queueLength()).toBe(3);
    await s.setLane(a2.id, 'priority');
    expect(await positions()).toEqual([2, 1, 3]);
    expect((await s.get(a2.id))?.position).toBe(1);
    await s.claim('r', one);
    expect(await positions()).toEqual([1, undefined, 2]);
    expect(await s.queueLength()).toBe(2);
    expect((await s.get(a2.id))?.state).toBe('submitting');
  });

  it('announces each position move once, every step near the head and big jumps further back', async () => {
    const s = store();
    const jobs = Array.from({ length: 12 }, (_, i) => job(`u${i}`));
    for (const j of jobs) await s.create(j);
    // Each job was announced with its position when it was queued: nothing moved since.
    expect((await s.announcePositions(2, 5)).changed).toEqual([]);
    await s.claim('r', one);
    const first = await s.announcePositions(2, 5);
    expect(first.length).toBe(11);
    // 2..6 → 1..5 (near the head: every step); 7..12 → 6..11 moved by 1, less than half: untold.
    expect(first.changed).toEqual(jobs.slice(1, 6).map((j, i) => ({ id: j.id, position: i + 1 })));
    expect((await s.announcePositions(2, 5)).changed).toEqual([]);
    for (let i = 0; i < 4; i++) await s.claim('r', one);
    // Now within the first 5 places: told (those announced at 5..10 are now 1..5); the jobs
    // announced at 11 and 12 moved by 5, under half: untold.
    const second = await s.announcePositions(2, 5);
    expect(second.changed).toEqual(
      jobs.slice(5, 10).map((j, i) => ({ id: j.id, position: i + 1 })),
    );
    await s.claim('r', one);
    // The first places step again, 11 → 5 (now among them) and 12 → 6 (a move of half): all told.
    expect((await s.announcePositions(2, 5)).changed).toEqual(
      jobs.slice(6).map((j, i) => ({ id: j.id, position: i + 1 })),
    );
  });

  it('caps queued jobs per user with user_queue_full and skips users at the running cap', async () => {
    const s = store({ maxQueuedPerUser: 2, maxRunningPerUser: 1 });
    const [a1, a2, a3, b1] = [job('a'), job('a'), job('a'), job('b')];
    await s.create(a1);
    await s.create(a2);
    const refused = await s.create(a3).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RelayError);
    expect((refused as RelayError).code).toBe('user_queue_full');
    await s.create(b1);
    expect((await s.claim('r', one))?.id).toBe(a1.id);
    expect((await s.claim('r', one))?.id).toBe(b1.id);
    expect(await s.claim('r', one)).toBeUndefined(); // a2 waits: a is at its running cap
    await s.finish(a1.id, 'r', 'done', {}, 1000);
    expect((await s.claim('r', one))?.id).toBe(a2.id);
  });

  it("claims a later user's job past a capped user's long backlog, looking at a bounded few", async () => {
    const s = store({ maxRunningPerUser: 1 });
    const a = Array.from({ length: 1200 }, () => job('a'));
    for (const j of a) await s.create(j);
    expect((await s.claim('r', one))?.id).toBe(a[0]!.id);
    // a is at its cap; more than the claim's look-ahead of a's jobs is queued: nothing to claim.
    expect(await s.claim('r', one)).toBeUndefined();
    // b's first job joins the round being served, ahead of a's backlog.
    const b1 = job('b');
    await s.create(b1);
    expect((await s.get(b1.id))?.position).toBe(1);
    expect((await s.claim('r', one))?.id).toBe(b1.id);
    // b's second job is in round 1 with a's second: a's, at the head, is skipped (a at its cap).
    const b2 = job('b');
    await s.create(b2);
    await s.finish(b1.id, 'r', 'done', {}, 1000);
    expect((await s.get(b2.id))?.position).toBe(2);
    expect((await s.claim('r', one))?.id).toBe(b2.id);
  });

  it("dispatches the priority lane first and respects each backend's capacity", async () => {
    const s = store();
    const [a1, a2, b1] = [job('a'), job('a'), job('b')];
    for (const j of [a1, a2, b1]) await s.create(j);
    await s.setLane(a2.id, 'priority');
    const backends = [
      { name: 'g1', capacity: 1 },
      { name: 'g2', capacity: 1 },
    ];
    const x = await s.claim('r', backends);
    const y = await s.claim('r', backends);
    expect([x?.id, y?.id]).toEqual([a2.id, a1.id]);
    expect(new Set([x?.backend, y?.backend])).toEqual(new Set(['g1', 'g2']));
    expect(await s.claim('r', backends)).toBeUndefined();
    await s.finish(a2.id, 'r', 'done', {}, 500);
    const z = await s.claim('r', backends);
    expect(z).toMatchObject({ id: b1.id, backend: x?.backend });
    // The record comes back with the claim, as claimed.
    expect(z?.job).toMatchObject({
      id: b1.id,
      state: 'submitting',
      owner: 'r',
      backend: x?.backend,
    });
    expect(await s.runtimes()).toEqual([500]);
  });

  it('cancels queued jobs at once and flags running ones', async () => {
    const s = store();
    const [a1, a2] = [job('a'), job('a')];
    await s.create(a1);
    await s.create(a2);
    await s.claim('r', one);
    expect(await s.cancel(a2.id)).toBe('cancelled');
    expect(await s.cancel(a2.id)).toBe('finished');
    expect(await s.cancel(a1.id)).toBe('requested');
    expect((await s.renew('r', [a1.id])).get(a1.id)).toBe('cancel');
    expect((await s.counts()).queued).toBe(0);
  });

  it('hands a job whose lease expired to another relay, and the old owner loses it', async () => {
    const s = store();
    const a1 = job('a');
    await s.create(a1);
    const t0 = Date.now();
    await s.claim('dead', one, t0);
    expect(await s.takeover('live', t0 + 1000)).toBeUndefined();
    expect(await s.takeover('live', t0 + 20_000)).toBe(a1.id);
    expect((await s.renew('dead', [a1.id])).get(a1.id)).toBe('lost');
    await expect(s.update(a1.id, 'dead', 'running')).rejects.toMatchObject({ code: 'conflict' });
    await s.update(a1.id, 'live', 'running', { startedAt: 5 });
    const got = await s.get(a1.id);
    expect(got).toMatchObject({ state: 'running', owner: 'live', startedAt: 5, takeovers: 1 });
  });

  it('stores events under one id in the user and all-users streams', async () => {
    const s = store();
    const streams = new RedisEventStreams(redis, s.keys, 100);
    const id1 = await streams.append('a', '{"n":1}');
    const id2 = await streams.append('b', '{"n":2}');
    expect(await redis.xrange(s.keys.eventsUser('a'), '-', '+')).toEqual([[id1, ['e', '{"n":1}']]]);
    expect((await redis.xrange(s.keys.eventsAll, '-', '+')).map(([id]) => id)).toEqual([id1, id2]);
  });
});
