/** The relay's object_info copy: first fetch waits for a GPU; later ones answer from memory/Redis while a cold GPU warms. */
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../../../test/support/redis';
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
  const cache = new ObjectInfoCache({ redis, key, backends: [first.backend], logger: pino({ level: 'silent' }), freshMs: 100, now: () => clock });
  expect(Object.keys(await cache.get())).toEqual(['SaveImage', 'KSampler']);
  expect(first.calls.count).toBe(1);

  // A new relay process (empty memory), the GPU scaled to zero: the stored copy answers immediately.
  const cold = gpu(['SaveImage', 'KSampler', 'NewNode']);
  cold.coldStart();
  clock += 1_000;
  const restarted = new ObjectInfoCache({ redis, key, backends: [cold.backend], logger: pino({ level: 'silent' }), freshMs: 100, now: () => clock });
  expect(Object.keys(await restarted.get())).toEqual(['SaveImage', 'KSampler']);
  expect(cold.calls.count).toBe(1); // a background refresh is under way, not awaited

  cold.warm();
  await expect.poll(async () => Object.keys(JSON.parse((await redis.get(key)) ?? '{}').value ?? {})).toContain('NewNode');
  expect(Object.keys(await restarted.get())).toContain('NewNode');
});

it('says which GPU failed when there is no copy and no GPU answers', async () => {
  const broken = { name: 'gpu-a', objectInfo: async () => Promise.reject(new Error('connect ECONNREFUSED')) } as unknown as Backend;
  const cache = new ObjectInfoCache({ redis, key: `${server.prefix()}object_info`, backends: [broken], logger: pino({ level: 'silent' }) });
  await expect(cache.get()).rejects.toMatchObject({ code: 'backend_unavailable', message: expect.stringContaining('gpu-a: connect ECONNREFUSED') });
});
