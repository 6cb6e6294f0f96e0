// The SFS sweeper on a real temp folder against a real Redis and the real job store: what goes,
// what stays, and that a Redis outage deletes nothing. The clock is injected, never waited on.
import { randomUUID } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Redis } from 'ioredis';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../../../../kit/redis-server';
import { createRedis, waitReady } from '../../store/redis';
import type { NewJob } from '../../jobs/job-store';
import { RedisJobStore } from '../../store/redis-job-store';
import { heartbeatMaxAge, SfsSweeper, type SfsSweeperOptions } from './sfs-sweeper';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 11, 5, 12, 0, 0);

let server: TestRedis;
let redis: Redis;
let store: RedisJobStore;
let dir: string;
let lines: { level: number; msg: string }[];
const logger = pino(
  { level: 'info' },
  new Writable({ write: (chunk, _e, done) => (lines.push(JSON.parse(String(chunk))), done()) }),
);

beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server.stop();
});
beforeEach(async () => {
  // The relay's own connection settings: commands fail fast while Redis is down.
  redis = createRedis(server.url, logger.child({}), 'test');
  await waitReady(redis, 5_000);
  store = new RedisJobStore(redis, server.prefix(), {
    leaseMs: 10_000,
    maxQueuedPerUser: 0,
    maxRunningPerUser: 0,
  });
  dir = mkdtempSync(join(tmpdir(), 'comfyume-sweep-'));
  mkdirSync(join(dir, 'comfyume', 'replicas'), { recursive: true });
  lines = [];
});
afterEach(() => {
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

const newJob = (): NewJob => ({
  id: randomUUID(),
  userId: 'alice',
  clientId: '',
  prompt: { '1': { class_type: 'X', inputs: {} } },
  extraData: {},
  outputsToExecute: [],
  inputs: [],
});

/** A job folder as the GPU agent leaves it: an output and a journal batch, all dated `at`. */
function jobFolder(id: string, at: number, bytes = 1000): string {
  const root = join(dir, 'comfyume', id);
  const journal = join(root, '.agent', '1-gpu-a');
  mkdirSync(journal, { recursive: true });
  writeFileSync(join(root, 'ComfyUI_00001_.png'), Buffer.alloc(bytes));
  writeFileSync(join(journal, '00000001.json'), Buffer.alloc(bytes));
  for (const path of [
    join(journal, '00000001.json'),
    join(root, 'ComfyUI_00001_.png'),
    journal,
    join(root, '.agent'),
    root,
  ])
    utimesSync(path, at / 1000, at / 1000);
  return root;
}

function heartbeat(replica: string, at: number): string {
  const path = join(dir, 'comfyume', 'replicas', `${replica}.json`);
  writeFileSync(path, JSON.stringify({ v: 1, replica }));
  utimesSync(path, at / 1000, at / 1000);
  return path;
}

async function finished(at: number, state: 'done' | 'failed' = 'done'): Promise<string> {
  const job = newJob();
  await store.createFinished(job, state, { executedNodes: [], cachedNodes: [], outputs: {} }, at);
  return job.id;
}

const sweeper = (options: Partial<SfsSweeperOptions> = {}) =>
  new SfsSweeper({
    outputDir: dir,
    retentionMs: 24 * HOUR,
    intervalMs: 600_000,
    heartbeatMaxAgeMs: heartbeatMaxAge(6_000),
    jobs: (ids) => store.getMany(ids),
    logger,
    now: () => NOW,
    batchSize: 2, // several batches even with a handful of folders
    ...options,
  });

describe('SFS sweeper', () => {
  it('deletes folders of long-finished and long-untouched unknown jobs, keeps recent, running and foreign ones', async () => {
    const oldDone = await finished(NOW - 25 * HOUR);
    const oldFailed = await finished(NOW - 48 * HOUR, 'failed');
    const recentDone = await finished(NOW - 1 * HOUR);
    const running = newJob();
    await store.create(running, NOW - 72 * HOUR);
    const queued = newJob();
    await store.create(queued, NOW - 72 * HOUR);
    expect(
      (await store.claim('relay-a', [{ name: 'gpu', capacity: 1 }], NOW - 72 * HOUR))?.id,
    ).toBe(running.id);
    const unknownOld = randomUUID();
    const unknownRecent = randomUUID();

    const gone = [
      jobFolder(oldDone, NOW - 26 * HOUR),
      jobFolder(oldFailed, NOW - 49 * HOUR),
      jobFolder(unknownOld, NOW - 30 * HOUR),
    ];
    const kept = [
      jobFolder(recentDone, NOW - 30 * HOUR), // files old, but the job finished an hour ago
      jobFolder(running.id, NOW - 72 * HOUR),
      jobFolder(queued.id, NOW - 72 * HOUR),
      jobFolder(unknownRecent, NOW - 2 * HOUR),
      jobFolder('not-a-job-id', NOW - 500 * HOUR),
      jobFolder(randomUUID().toUpperCase(), NOW - 500 * HOUR), // not our canonical form
    ];
    // An unknown job with one file touched recently is recent, however old the rest.
    const touched = randomUUID();
    kept.push(jobFolder(touched, NOW - 40 * HOUR));
    utimesSync(
      join(dir, 'comfyume', touched, '.agent', '1-gpu-a', '00000001.json'),
      (NOW - HOUR) / 1000,
      (NOW - HOUR) / 1000,
    );

    const registry = new Registry();
    const result = await sweeper({ registry }).sweep();

    expect(gone.filter(existsSync)).toEqual([]);
    expect(kept.filter((p) => !existsSync(p))).toEqual([]);
    expect(result).toMatchObject({ complete: true, jobFolders: 3, kept: 5, bytesFreed: 3 * 2000 });
    const info = lines.filter((l) => l.msg === 'swept the shared output volume');
    expect(info).toHaveLength(1);
    expect(info[0]).toMatchObject({ jobFolders: 3, bytesFreed: 6000 });
    const text = await registry.metrics();
    expect(text).toContain('comfyume_relay_sfs_swept_bytes_total 6000');
    expect(text).toContain('comfyume_relay_sfs_swept_total{kind="job_folder"} 3');
  });

  it('deletes heartbeats of replicas gone for long and keeps fresh ones', async () => {
    const stale = heartbeat('gpu-gone', NOW - 2 * HOUR);
    const fresh = heartbeat('gpu-live', NOW - 5_000);
    const result = await sweeper().sweep();
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
    expect(result).toMatchObject({ complete: true, heartbeats: 1 });
    expect(heartbeatMaxAge(6_000)).toBe(HOUR);
    expect(heartbeatMaxAge(600_000)).toBe(6_000_000);
  });

  it('deletes nothing with SFS_RETENTION_H=0', async () => {
    const id = await finished(NOW - 1000 * HOUR);
    const folder = jobFolder(id, NOW - 1000 * HOUR);
    const unknown = jobFolder(randomUUID(), NOW - 1000 * HOUR);
    const beat = heartbeat('gpu-gone', NOW - 1000 * HOUR);
    const s = sweeper({ retentionMs: 0 });
    s.start(); // a disabled sweeper does not even start its timer
    const result = await s.sweep();
    await s.close();
    expect([folder, unknown, beat].every(existsSync)).toBe(true);
    expect(result).toMatchObject({ complete: false, jobFolders: 0, heartbeats: 0 });
  });

  it('survives a folder another relay removed first, and a missing volume', async () => {
    const id = await finished(NOW - 25 * HOUR);
    const folder = jobFolder(id, NOW - 26 * HOUR);
    const first = sweeper();
    const second = sweeper();
    const [a, b] = await Promise.all([first.sweep(), second.sweep()]);
    expect(existsSync(folder)).toBe(false);
    expect(a.complete && b.complete).toBe(true);
    expect(a.jobFolders + b.jobFolders).toBeGreaterThanOrEqual(1);
    rmSync(join(dir, 'comfyume'), { recursive: true });
    expect(await sweeper().sweep()).toMatchObject({ complete: true, jobFolders: 0, heartbeats: 0 });
  });

  it('deletes nothing and does not throw while Redis is down, and sweeps again once it is back', async () => {
    const id = await finished(NOW - 25 * HOUR);
    const folder = jobFolder(id, NOW - 26 * HOUR);
    const unknown = jobFolder(randomUUID(), NOW - 30 * HOUR);
    const beat = heartbeat('gpu-gone', NOW - 2 * HOUR);
    const s = sweeper();
    await server.down();
    try {
      const result = await s.sweep();
      expect(result).toMatchObject({ complete: false, jobFolders: 0, heartbeats: 0 });
      expect([folder, unknown, beat].every(existsSync)).toBe(true);
      const warns = lines.filter((l) => l.level === 40 && /skipping the sweep/.test(l.msg));
      expect(warns).toHaveLength(1);
    } finally {
      await server.up();
    }
    await waitReady(redis, 10_000);
    expect(await s.sweep()).toMatchObject({ complete: true, jobFolders: 2, heartbeats: 1 });
    expect(readdirSync(join(dir, 'comfyume'))).toEqual(['replicas']);
  });
});
