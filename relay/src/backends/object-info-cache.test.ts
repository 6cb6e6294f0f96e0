/** The relay's object_info copy: first fetch waits for a GPU; later ones answer from memory/Redis while a cold GPU warms. */
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../../../kit/redis-server';
import type { Backend } from './backend';
import { ObjectInfoCache } from './object-info-cache';

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

/** A GPU whose /object_info answers after `gate` resolves (a cold start), counting the asks. */
function gpu(nodes: string[]) {
  let release: () => void = () => undefined;
  let gate = Promise.resolve();
  const calls = { count: 0 };
  const backend = {
    name: 'gpu',
    objectInfo: async () => {
      calls.count++;
      await gate;
      return Object.fromEntries(nodes.map((n) => [n, { name: n }]));
    },
  } as unknown as Backend;
  return {
    backend,
    calls,
    coldStart: () => (gate = new Promise<void>((resolve) => (release = resolve))),
    warm: () => release(),
  };
}

it('waits for the GPU the first time, then serves the stored copy at once while a cold GPU warms up', async () => {
  const key = `${server.prefix()}object_info`;
  let clock = 1_000;
  const first = gpu(['SaveImage', 'KSampler']);
  const cache = new ObjectInfoCache({
    redis,
    key,
    backends: [first.backend],
    logger: pino({ level: 'silent' }),
    freshMs: 100,
    now: () => clock,
  });
  expect(Object.keys(await cache.get())).toEqual(['SaveImage', 'KSampler']);
  expect(first.calls.count).toBe(1);

  // A new relay process (empty memory), the GPU scaled to zero: the stored copy answers immediately.
  const cold = gpu(['SaveImage', 'KSampler', 'NewNode']);
  cold.coldStart();
  clock += 1_000;
  const restarted = new ObjectInfoCache({
    redis,
    key,
    backends: [cold.backend],
    logger: pino({ level: 'silent' }),
    freshMs: 100,
    now: () => clock,
  });
  expect(Object.keys(await restarted.get())).toEqual(['SaveImage', 'KSampler']);
  expect(cold.calls.count).toBe(1); // a background refresh is under way, not awaited

  cold.warm();
  await expect
    .poll(async () => Object.keys(JSON.parse((await redis.get(key)) ?? '{}').value ?? {}))
    .toContain('NewNode');
  expect(Object.keys(await restarted.get())).toContain('NewNode');
});

it('says which GPU failed when there is no copy and no GPU answers', async () => {
  const broken = {
    name: 'gpu-a',
    objectInfo: async () => Promise.reject(new Error('connect ECONNREFUSED')),
  } as unknown as Backend;
  const cache = new ObjectInfoCache({
    redis,
    key: `${server.prefix()}object_info`,
    backends: [broken],
    logger: pino({ level: 'silent' }),
  });
  await expect(cache.get()).rejects.toMatchObject({
    code: 'backend_unavailable',
    message: expect.stringContaining('gpu-a: connect ECONNREFUSED'),
  });
});

/** A GPU answering listings through readComfy, counting what it was asked. */
function listingGpu(answers: Record<string, unknown>) {
  const asked: string[] = [];
  let slow: Promise<void> | undefined;
  const backend = {
    name: 'gpu',
    objectInfo: async () => {
      asked.push('objectInfo()');
      return answers['/object_info'];
    },
    readComfy: async (path: string) => {
      asked.push(path);
      await slow;
      return path in answers
        ? { status: 200, body: answers[path] }
        : { status: 404, body: undefined };
    },
  } as unknown as Backend;
  return { backend, asked, answers, hang: () => (slow = new Promise<void>(() => undefined)) };
}

it('a fresh read asks the GPU itself (not its cached copy), and is bounded when the GPU is slow', async () => {
  const g = listingGpu({ '/object_info': { SaveImage: {} } });
  const cache = new ObjectInfoCache({
    redis,
    key: `${server.prefix()}object_info`,
    backends: [g.backend],
    logger: pino({ level: 'silent' }),
    freshWaitMs: 200,
  });
  expect(Object.keys(await cache.get())).toEqual(['SaveImage']);
  expect(g.asked).toEqual(['objectInfo()']); // plain reads may use the backend's own short-lived copy
  g.answers['/object_info'] = { SaveImage: {}, GpuOnlyNode: {} };
  expect(Object.keys(await cache.get({ fresh: true }))).toContain('GpuOnlyNode');
  expect(g.asked).toEqual(['objectInfo()', '/object_info']);
  g.hang();
  g.answers['/object_info'] = { Other: {} };
  expect(Object.keys(await cache.get({ fresh: true }))).toContain('GpuOnlyNode'); // the copy, after at most freshWaitMs
});

it('model listings: folders the GPU lists are read and kept; any other folder is a 404 without asking', async () => {
  const g = listingGpu({
    '/models': ['checkpoints', 'loras'],
    '/models/checkpoints': ['gpu.safetensors'],
    '/embeddings': ['neg'],
  });
  const key = `${server.prefix()}object_info`;
  const cache = new ObjectInfoCache({
    redis,
    key,
    backends: [g.backend],
    logger: pino({ level: 'silent' }),
  });
  expect(await cache.read('/models/checkpoints')).toEqual(['gpu.safetensors']);
  expect(await cache.read('/embeddings')).toEqual(['neg']);
  expect(JSON.parse((await redis.get(`${key}:/models/checkpoints`)) ?? '{}').value).toEqual([
    'gpu.safetensors',
  ]);
  await expect(cache.read('/models/nope')).rejects.toMatchObject({ code: 'not_found' });
  expect(g.asked).not.toContain('/models/nope');
  for (const bad of [
    '/models/..',
    '/models/../x',
    '/object_info/SaveImage',
    '/view',
    '/models/a/b',
  ]) {
    await expect(cache.read(bad), bad).rejects.toMatchObject({ code: 'bad_request' });
  }
});

it("one user's fresh reads ask the GPU once per interval (on every relay); within it they get the newest stored copy", async () => {
  const g = listingGpu({ '/object_info': { SaveImage: {} } });
  const key = `${server.prefix()}object_info`;
  const relay = () =>
    new ObjectInfoCache({
      redis,
      key,
      backends: [g.backend],
      logger: pino({ level: 'silent' }),
      userRefreshMs: 60_000,
    });
  const a = relay();
  const b = relay(); // another relay of the same deployment
  await a.get();
  expect(g.asked).toEqual(['objectInfo()']);
  g.answers['/object_info'] = { SaveImage: {}, Installed: {} };
  expect(Object.keys(await a.get({ fresh: true, user: 'alice' }))).toContain('Installed');
  expect(g.asked).toEqual(['objectInfo()', '/object_info']);

  g.answers['/object_info'] = { SaveImage: {}, Installed: {}, Later: {} };
  for (const cache of [a, b]) {
    // alice again, on either relay: the GPU is not asked; the copy alice's look stored answers.
    expect(Object.keys(await cache.get({ fresh: true, user: 'alice' }))).toEqual([
      'SaveImage',
      'Installed',
    ]);
  }
  expect(g.asked).toEqual(['objectInfo()', '/object_info']);
  // bob's look on relay b asks the GPU; alice's next look on relay a gets what it stored.
  expect(Object.keys(await b.get({ fresh: true, user: 'bob' }))).toContain('Later');
  expect(g.asked).toEqual(['objectInfo()', '/object_info', '/object_info']);
  expect(Object.keys(await a.get({ fresh: true, user: 'alice' }))).toContain('Later');
  expect(g.asked).toHaveLength(3);
});

it('fresh reads during a GPU request share one request started after it, which sees what changed meanwhile', async () => {
  let release: () => void = () => undefined;
  const asked: string[] = [];
  let nodes: Record<string, unknown> = { SaveImage: {} };
  const gate = new Promise<void>((resolve) => (release = resolve)); // the GPU answers once released
  const backend = {
    name: 'gpu',
    objectInfo: async () => {
      asked.push('objectInfo()');
      return nodes;
    },
    readComfy: async (path: string) => {
      asked.push(path);
      const answer = nodes; // what the GPU had when asked
      await gate;
      return { status: 200, body: answer };
    },
  } as unknown as Backend;
  const cache = new ObjectInfoCache({
    redis,
    key: `${server.prefix()}object_info`,
    backends: [backend],
    logger: pino({ level: 'silent' }),
    freshWaitMs: 60_000,
  });
  await cache.get();
  const first = cache.get({ fresh: true, user: 'alice' }); // asks the GPU, which is slow to answer
  await expect.poll(() => asked).toEqual(['objectInfo()', '/object_info']);
  nodes = { SaveImage: {}, Installed: {} }; // installed while that request is under way
  const later = ['bob', 'carol', 'dave'].map((user) => cache.get({ fresh: true, user }));
  release();
  expect(Object.keys(await first)).toEqual(['SaveImage']);
  for (const read of later) expect(Object.keys(await read)).toContain('Installed');
  expect(asked).toEqual(['objectInfo()', '/object_info', '/object_info']); // one follow-up for all three
});
