/**
 * The queue over the REST API on a real Redis: fair share, caps, operator priority lane,
 * idempotent submit, positions and ETAs pushed as job events, cancel of queued and running jobs.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JobEvent } from '../../protocol/src/index';
import { startRedis, type TestRedis } from '../../kit/redis-server';
import { GateBackend } from './relay-gate-backend';
import { until } from '../../kit/until';
import {
  ADMIN,
  EventCollector,
  finished,
  RelayClient,
  startHarness,
  userToken,
  type Harness,
} from './relay-harness';

const prompt = (tag = 'x') => ({
  '1': { class_type: 'EmptyImage', inputs: { width: 8, height: 8, batch_size: 1, color: 0 } },
  '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: tag } },
});

let redis: TestRedis;
let harness: Harness | undefined;
beforeAll(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});
afterAll(async () => {
  await redis?.stop();
});

const client = (user: string) =>
  new RelayClient(harness!.url, user === 'admin' ? ADMIN : userToken(user));

describe('relay queue', () => {
  it('dispatches round-robin across users, reports positions and ETAs, and honours the priority lane', async () => {
    const gpu = new GateBackend('gate', 1);
    harness = await startHarness(redis, { backends: gpu.asSet() });
    const [a, b, c, admin] = ['a', 'b', 'c', 'admin'].map(client) as [
      RelayClient,
      RelayClient,
      RelayClient,
      RelayClient,
    ];
    const watch = new EventCollector(harness.url, userToken('a'));
    await watch.opened;

    const a1 = (await a.submit(prompt())).body.job.id as string;
    await until(() => gpu.running().includes(a1), 10_000, 'a1 running');
    const submitted: Record<string, string> = {};
    for (const [name, who] of [
      ['a2', a],
      ['a3', a],
      ['a4', a],
      ['b1', b],
      ['b2', b],
      ['c1', c],
    ] as const) {
      const res = await who.submit(prompt(name));
      expect(res.status).toBe(201);
      submitted[name] = res.body.job.id;
    }
    // Rounds: b1 c1 (a had its turn: a1) | a2 b2 | a3 | a4 — newcomers join the round being served.
    const expected = ['b1', 'c1', 'a2', 'b2', 'a3', 'a4'];
    const positions = await Promise.all(
      expected.map(
        async (name) =>
          (await (name[0] === 'a' ? a : name[0] === 'b' ? b : c).job(submitted[name]!)).position,
      ),
    );
    expect(positions).toEqual([1, 2, 3, 4, 5, 6]);

    // The operator moves a4 to the priority lane: it runs next.
    const patched = await admin.call('PATCH', `/api/jobs/${submitted.a4}/priority`, {
      lane: 'priority',
    });
    expect(patched.status).toBe(200);
    expect(patched.body.job).toMatchObject({ lane: 'priority', position: 1 });
    expect((await a.job(submitted.a3!)).position).toBe(6);
    expect(
      (await a.call('PATCH', `/api/jobs/${submitted.a2}/priority`, { lane: 'priority' })).status,
    ).toBe(403);

    // Run them one by one; a measured run time gives every queued job an ETA.
    gpu.release(a1);
    await a.waitFor(a1, finished);
    await until(
      async () => (await a.job(submitted.a2!)).etaMs !== undefined,
      10_000,
      'ETA after a measured run',
    );
    const queuedEtas = (
      await Promise.all(
        ['b1', 'c1', 'a2'].map((n) => (n[0] === 'a' ? a : n[0] === 'b' ? b : c).job(submitted[n]!)),
      )
    ).map((j) => j.etaMs!);
    expect(queuedEtas[0]).toBeLessThanOrEqual(queuedEtas[1]!);
    expect(queuedEtas[1]).toBeLessThanOrEqual(queuedEtas[2]!);

    const released = new Set([a1]);
    for (let i = 0; i < 6; i++) {
      await until(() => gpu.running().some((id) => !released.has(id)), 10_000, 'next job running');
      const next = gpu.running().find((id) => !released.has(id))!;
      released.add(next);
      gpu.release(next);
    }
    const order = gpu.started
      .slice(1)
      .map((id) => Object.entries(submitted).find(([, v]) => v === id)?.[0]);
    expect(order).toEqual(['a4', 'b1', 'c1', 'a2', 'b2', 'a3']);

    // a's socket saw its own jobs' position changes as job events, never b's or c's.
    await watch.waitFor((events) =>
      events.some((e) => e.type === 'job' && e.job.id === submitted.a3 && e.job.state === 'done'),
    );
    const jobEvents = watch.events.filter((e): e is JobEvent => e.type === 'job');
    expect(jobEvents.every((e) => e.job.userId === 'a')).toBe(true);
    // a3 was 2nd when submitted, pushed back to 5th by b1, b2 and c1 and to 6th by the operator's
    // a4 (read on demand above), then only moved forward. Moves are announced coalesced (at most
    // once a second), so steps may be merged (even the last ones, when jobs run fast): the pushes
    // rise, then only fall.
    const a3Positions = jobEvents
      .filter((e) => e.job.id === submitted.a3 && e.job.state === 'queued')
      .map((e) => e.job.position!);
    expect(a3Positions[0]).toBe(2);
    const back = a3Positions.indexOf(Math.max(...a3Positions));
    const arriving = a3Positions.slice(0, back + 1);
    expect([...arriving].sort((x, y) => x - y)).toEqual(arriving);
    const afterArrivals = a3Positions.slice(back);
    expect([...afterArrivals].sort((x, y) => y - x)).toEqual(afterArrivals);
    watch.close();
  });

  it('caps queued jobs per user (user_queue_full) and skips users at their running cap', async () => {
    const gpu = new GateBackend('gate', 3);
    harness = await startHarness(redis, {
      backends: gpu.asSet(),
      env: { MAX_QUEUED_PER_USER: '2', MAX_RUNNING_PER_USER: '1' },
    });
    const a = client('a');
    const b = client('b');
    const a1 = (await a.submit(prompt())).body.job.id as string;
    await until(() => gpu.running().includes(a1), 10_000, 'a1 running');
    expect((await a.submit(prompt())).status).toBe(201);
    expect((await a.submit(prompt())).status).toBe(201);
    const full = await a.submit(prompt());
    expect(full.status).toBe(429);
    expect(full.body.error.code).toBe('user_queue_full');
    expect(full.body.error.message).toMatch(/2 jobs waiting/);
    const b1 = (await b.submit(prompt())).body.job.id as string;
    await until(() => gpu.running().includes(b1), 10_000, "b1 running past a's queued jobs");
    expect(gpu.running()).toHaveLength(2); // a has a free GPU slot but is at its running cap
    const status = await client('admin').call('GET', '/api/queue/status');
    expect(status.body).toMatchObject({
      queued: 2,
      running: 2,
      byUser: { a: { queued: 2, running: 1 }, b: { queued: 0, running: 1 } },
    });
    expect((await a.call('GET', '/api/queue/status')).body.byUser).toBeUndefined();
  });

  it('makes submit idempotent per job id, refuses the id with another prompt, and answers 404 to another user', async () => {
    const gpu = new GateBackend('gate', 1);
    harness = await startHarness(redis, { backends: gpu.asSet() });
    const a = client('a');
    const jobId = randomUUID();
    const first = await a.submit(prompt('one'), { jobId });
    const again = await a.submit(prompt('one'), { jobId });
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(again.body.job.id).toBe(jobId);
    const other = await a.submit(prompt('two'), { jobId });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('conflict');
    const stolen = await client('b').submit(prompt('one'), { jobId });
    expect([stolen.status, stolen.body.error.code]).toEqual([404, 'not_found']); // as on every route: no existence oracle
    const stolenOther = await client('b').submit(prompt('two'), { jobId });
    expect(stolenOther.status).toBe(404);
    expect((await a.call('GET', '/api/jobs')).body.total).toBe(1);
    await until(() => gpu.started.length === 1, 10_000, 'the one job started');
    gpu.release(jobId);
    await a.waitFor(jobId, finished);
    expect(gpu.started).toEqual([jobId]);
  });

  it('cancels a queued job at once and interrupts a running one', async () => {
    const gpu = new GateBackend('gate', 1);
    harness = await startHarness(redis, { backends: gpu.asSet() });
    const a = client('a');
    const events = new EventCollector(harness.url, userToken('a'));
    await events.opened;
    const running = (await a.submit(prompt())).body.job.id as string;
    const queued = (await a.submit(prompt())).body.job.id as string;
    await until(() => gpu.running().includes(running), 10_000, 'first running');
    const cancelledQueued = await a.call('DELETE', `/api/jobs/${queued}`);
    expect(cancelledQueued.body.job.state).toBe('cancelled');
    expect((await client('b').call('DELETE', `/api/jobs/${running}`)).status).toBe(404);
    await a.call('DELETE', `/api/jobs/${running}`);
    const done = await a.waitFor(running, finished);
    expect(done.state).toBe('cancelled');
    // The record says how it ended; the relay makes up no ComfyUI message (the sidecar's sequence writes the ending).
    await events.waitFor((all) =>
      all.some((e) => e.type === 'job' && e.job.id === running && e.job.state === 'cancelled'),
    );
    expect(events.comfy(running).map((m) => m.type)).toEqual(['execution_start']);
    expect(gpu.started).toEqual([running]);
    events.close();
  });
});
