/**
 * Redis going away: the relay keeps running, answers 503 redis_unavailable with a clear message,
 * keeps the job it was running, and recovers by itself when Redis returns (same data).
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../../kit/redis-server';
import { GateBackend } from './relay-gate-backend';
import { until } from '../../kit/until';
import { finished, RelayClient, startHarness, userToken, type Harness } from './relay-harness';

const prompt = {
  '1': { class_type: 'EmptyImage', inputs: {} },
  '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'x' } },
};
let redis: TestRedis;
let harness: Harness;
const gpu = new GateBackend('gate', 1);

beforeAll(async () => {
  redis = await startRedis();
  harness = await startHarness(redis, { backends: gpu.asSet() });
});
afterAll(async () => {
  await harness?.close();
  await redis?.stop();
});

describe('relay without Redis', () => {
  it('answers 503 redis_unavailable while Redis is down and recovers when it returns', async () => {
    const a = new RelayClient(harness.url, userToken('a'));
    const running = (await a.submit(prompt)).body.job.id as string;
    await until(() => gpu.running().includes(running), 10_000, 'job running');

    const admin = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    admin.on('error', () => undefined);
    await admin.call('SHUTDOWN', 'NOSAVE').catch(() => undefined); // AOF is flushed on shutdown
    admin.disconnect();
    await until(
      async () => (await fetch(`${harness.url}/health`)).status === 503,
      10_000,
      'health 503',
    );

    const refused = await a.submit(prompt);
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe('redis_unavailable');
    expect(refused.body.error.message).toMatch(/cannot reach Redis/);
    expect(refused.body.error.message).toMatch(/REDIS_URL/);
    const list = await a.call('GET', '/api/jobs');
    expect([list.status, list.body.error.code]).toEqual([503, 'redis_unavailable']);
    const health = await fetch(`${harness.url}/health`).then((r) => r.json());
    expect(health).toMatchObject({ ok: false, redis: 'down' });

    gpu.release(running); // the GPU finishes while Redis is away: the relay must not lose that
    await new Promise((r) => setTimeout(r, 500));
    await redis.restart();

    await until(
      async () => (await fetch(`${harness.url}/health`)).status === 200,
      20_000,
      'health back to 200',
    );
    expect((await a.waitFor(running, finished, 30_000)).state).toBe('done');
    const next = await a.submit(prompt);
    expect(next.status).toBe(201);
    await until(
      () => gpu.running().includes(next.body.job.id),
      10_000,
      'a new job dispatched after recovery',
    );
    gpu.release(next.body.job.id);
    expect((await a.waitFor(next.body.job.id, finished)).state).toBe('done');
  });
});
