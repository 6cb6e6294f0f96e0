/**
 * Whether Redis keeps the jobs: a relay refuses a Redis without persistence unless
 * REDIS_VOLATILE_OK=1 (in-process and as `comfyume relay`), starts when CONFIG is refused (managed
 * services) saying it could not check, and reports on /health a Redis that lost its data.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../../kit/redis-server';
import { GateBackend } from './relay-gate-backend';
import { until } from '../../kit/until';
import {
  ADMIN,
  finished,
  RelayClient,
  relayEnv,
  startHarness,
  userToken,
  type Harness,
} from './relay-harness';

const repo = resolve(import.meta.dirname, '../..');
const prompt = {
  '1': { class_type: 'EmptyImage', inputs: {} },
  '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'x' } },
};

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function redisServer(options: Parameters<typeof startRedis>[0] = {}): Promise<TestRedis> {
  const redis = await startRedis(options);
  cleanups.push(() => redis.stop());
  return redis;
}

async function harness(
  redis: TestRedis,
  env: Record<string, string> = {},
): Promise<{ h: Harness; logs: string[] }> {
  const logs: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(line) });
  const h = await startHarness(redis, {
    env,
    backends: new GateBackend('gate', 1).asSet(),
    logger,
  });
  cleanups.push(() => h.close());
  return { h, logs };
}

const health = async (url: string) =>
  (await fetch(`${url}/health`)).json() as Promise<Record<string, unknown>>;

describe('Redis persistence check', () => {
  it('refuses a Redis without persistence, saying why and how to fix it', async () => {
    const redis = await redisServer({ persistence: false });
    const failure = await harness(redis).then(
      () => undefined,
      (error: Error) => error,
    );
    expect(failure?.name).toBe('VolatileRedisError');
    expect(failure?.message).toMatch(/Redis has no persistence \(appendonly no and save ""\)/);
    expect(failure?.message).toMatch(/--appendonly yes/);
    expect(failure?.message).toMatch(/REDIS_VOLATILE_OK=1/);
  });

  it('`comfyume relay` exits with the message on such a Redis', async () => {
    const redis = await redisServer({ persistence: false });
    const env = {
      ...process.env,
      ...relayEnv(redis, resolve(repo, 'data/never-used')),
      // A GPU is configured (a relay refuses to start without one) but never reached: Redis stops it first.
      INFERENCE_MODE: 'direct',
      COMFYUI_GPU_URLS: 'http://127.0.0.1:9',
      LOG_LEVEL: 'error',
    };
    const child = spawn(process.execPath, ['bin/comfyume.js', 'relay'], {
      cwd: repo,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code).toBe(1);
    expect(output).toMatch(/comfyume relay: Redis has no persistence/);
    expect(output).toMatch(/REDIS_VOLATILE_OK=1/);
  });

  it('starts on such a Redis with REDIS_VOLATILE_OK=1, warning, and /health says so', async () => {
    const redis = await redisServer({ persistence: false });
    const { h, logs } = await harness(redis, { REDIS_VOLATILE_OK: '1' });
    expect(await health(h.url)).toMatchObject({ ok: true, redis: 'up', redisPersistence: 'none' });
    expect(logs.join('')).toMatch(/running anyway because REDIS_VOLATILE_OK=1/);
  });

  it('starts on a Redis with AOF and reports it', async () => {
    const redis = await redisServer();
    const { h } = await harness(redis);
    const body = await health(h.url);
    expect(body).toMatchObject({ ok: true, redisPersistence: 'aof' });
    expect(body.redisDataLost).toBeUndefined();
  });

  it('re-checks on reconnect: a Redis that lost its persistence is logged and shown on /health, and the relay keeps serving', async () => {
    const redis = await redisServer();
    const { h, logs } = await harness(redis);
    const client = new Redis(redis.url);
    cleanups.push(async () => void client.disconnect());
    await client.config('SET', 'appendonly', 'no');
    await client.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes'); // the relay reconnects
    await until(
      async () => (await health(h.url)).redisPersistence === 'none',
      20_000,
      'persistence none on /health',
    );
    expect(logs.join('')).toMatch(
      /"level":50[^\n]*Redis has no persistence[^\n]*seen after a reconnect; the relay keeps serving/,
    );
    expect((await new RelayClient(h.url, userToken('a')).submit(prompt)).status).toBe(201);
  });

  it('starts when CONFIG is refused (managed services), logging that it could not check', async () => {
    const redis = await redisServer({
      persistence: false,
      args: ['--rename-command', 'CONFIG', ''],
    });
    const { h, logs } = await harness(redis);
    expect(await health(h.url)).toMatchObject({ ok: true, redisPersistence: 'unknown' });
    expect(logs.join('')).toMatch(/could not check Redis persistence/);
  });
});

describe('Redis data loss', () => {
  it('places the workshop marker on an empty Redis and keeps it', async () => {
    const redis = await redisServer();
    const { h } = await harness(redis);
    const client = new Redis(redis.url);
    client.on('error', () => undefined); // this test restarts Redis under it
    cleanups.push(async () => void client.disconnect());
    const marker = JSON.parse((await client.get(`${h.config.redisPrefix}marker`))!) as {
      createdAt: number;
      relayId: string;
    };
    expect(marker.relayId).toBe(h.relay.relayId);
    // A restart with AOF keeps the marker and the jobs: no loss reported.
    const a = new RelayClient(h.url, userToken('a'));
    const id = (await a.submit(prompt)).body.job.id as string;
    await redis.restart();
    await until(async () => (await fetch(`${h.url}/health`)).status === 200, 20_000, 'health back');
    await until(
      async () => (await a.call('GET', `/api/jobs/${id}`)).status === 200,
      20_000,
      'job readable again',
    );
    expect((await health(h.url)).redisDataLost).toBeUndefined();
  });

  it('reports a Redis that lost its data on /health and in the log', async () => {
    const redis = await redisServer({ persistence: false });
    const { h, logs } = await harness(redis, { REDIS_VOLATILE_OK: '1' });
    const a = new RelayClient(h.url, userToken('a'));
    const id = (await a.submit(prompt)).body.job.id as string;
    expect((await health(h.url)).redisDataLost).toBeUndefined();

    await redis.restart(); // no persistence: everything is gone
    await until(
      async () => (await health(h.url)).redisDataLost !== undefined,
      30_000,
      'redisDataLost on /health',
    );
    const lost = (await health(h.url)).redisDataLost as { detectedAt: number; message: string };
    expect(lost.message).toMatch(/Redis lost its data/);
    expect(lost.message).toMatch(/--appendonly yes/);
    expect(logs.join('')).toMatch(/"level":50[^\n]*Redis lost its data/);
    expect((await a.call('GET', `/api/jobs/${id}`)).status).toBe(404);
    // The relay still works on the new, empty Redis.
    const next = await a.submit(prompt);
    expect(next.status).toBe(201);
    const gate = h.relay.parts.backends[0] as GateBackend;
    await until(() => gate.running().includes(next.body.job.id), 10_000, 'new job running');
    gate.release(next.body.job.id);
    expect((await a.waitFor(next.body.job.id, finished)).state).toBe('done');
  });

  it('sees a FLUSHALL too (the connection stays up)', async () => {
    const redis = await redisServer();
    const { h } = await harness(redis, { REDIS_VOLATILE_OK: '1' });
    const client = new Redis(redis.url);
    client.on('error', () => undefined); // this test restarts Redis under it
    cleanups.push(async () => void client.disconnect());
    await client.flushall();
    await until(
      async () => (await health(h.url)).redisDataLost !== undefined,
      30_000,
      'redisDataLost after FLUSHALL',
    );
    // The dashboard's status poll carries it for the operator; attendees' status does not.
    const status = await new RelayClient(h.url, ADMIN).call('GET', '/api/queue/status');
    expect(status.body.redisDataLost.message).toMatch(/Redis lost its data/);
    expect(
      (await new RelayClient(h.url, userToken('a')).call('GET', '/api/queue/status')).body
        .redisDataLost,
    ).toBeUndefined();
  });
});
