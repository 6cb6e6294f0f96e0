/**
 * The Redis drill: a `comfyume relay` process runs jobs on a simulated GPU while its Redis (AOF,
 * fsync always) is stopped 8 times at random moments, alternately killed (SIGKILL) and shut down.
 * The relay process stays alive with no unhandled rejection; every submission during an outage is
 * refused 503 redis_unavailable with Retry-After; after the last restart every accepted job is done,
 * the GPU ran each exactly once, each output is delivered once and each success reaches the event
 * stream once. Prints the figures: deaths, lost jobs, time from Redis back to a job reaching the GPU.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from '../../simulator/src/app';
import { freePort } from '../../kit/free-port';
import { startRedis, type TestRedis } from '../../kit/redis-server';
import { until } from '../../kit/until';
import {
  ADMIN,
  EventCollector,
  finished,
  fixturePrompt,
  RelayClient,
  relayEnv,
  userToken,
} from './relay-harness';

const repo = resolve(import.meta.dirname, '../..');
const STOPS = 8;
const users = ['r1', 'r2', 'r3'];

let redis: TestRedis;
let dir: string;
let sim: Awaited<ReturnType<typeof startSimulator>>;
let relay: ChildProcess | undefined;
let log = '';

beforeAll(async () => {
  // fsync always: a SIGKILLed Redis keeps every write it acknowledged (with everysec it may lose ~1 s).
  redis = await startRedis({ args: ['--appendfsync', 'always'] });
  dir = await mkdtemp(join(tmpdir(), 'comfyume-redis-outage-'));
  sim = await startSimulator({
    port: 0,
    outputDir: join(dir, 'gpu/out'),
    inputDir: join(dir, 'gpu/in'),
    tempDir: join(dir, 'gpu/tmp'),
    stepMs: 20,
    previewMethod: 'none',
  });
});
afterAll(async () => {
  if (relay?.exitCode === null) relay.kill('SIGKILL');
  await sim?.close();
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const between = (min: number, max: number) => min + Math.floor(Math.random() * (max - min));

async function files(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(root.length + 1))
    .sort();
}

type Submission = {
  id: string;
  user: string;
  at: number;
  status: number;
  code?: string;
  retryAfter?: string | null;
};

describe('Redis outages during a run of jobs', () => {
  it(`survives ${STOPS} Redis stops at random moments: relay alive, 503 + Retry-After meanwhile, 0 lost, 0 run twice`, async () => {
    const outputDir = join(dir, 'relay-out');
    const port = await freePort();
    const env = {
      ...process.env,
      ...relayEnv(redis, outputDir, {
        INFERENCE_MODE: 'direct',
        COMFYUI_GPU_URLS: sim.url,
        COMFYUI_GPU_CAPACITY: '2',
      }),
      RELAY_PORT: String(port),
      LOG_LEVEL: 'info',
    };
    relay = spawn(process.execPath, ['bin/comfyume.js', 'relay'], {
      cwd: repo,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    relay.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    relay.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    const url = `http://127.0.0.1:${port}`;
    await until(
      async () =>
        fetch(`${url}/health`).then(
          (r) => r.ok,
          () => false,
        ),
      60_000,
      `relay listening (log: ${log.slice(-500)})`,
    );

    const base = await fixturePrompt('api-workflow-txt2img.json');
    const promptFor = (seed: number) => ({
      ...base,
      '3': {
        ...(base['3'] as object),
        inputs: { ...(base['3'] as { inputs: object }).inputs, seed, steps: 8 },
      },
    });
    let seed = 0;
    const submissions: Submission[] = [];
    const submit = async (user: string, id = randomUUID()): Promise<Submission> => {
      const response = await fetch(`${url}/api/jobs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${userToken(user)}`, 'content-type': 'application/json' },
        body: JSON.stringify({ jobId: id, clientId: 'tab-1', prompt: promptFor(seed++) }),
      });
      const body = (await response.json()) as { error?: { code: string } };
      const entry = {
        id,
        user,
        at: Date.now(),
        status: response.status,
        code: body.error?.code,
        retryAfter: response.headers.get('retry-after'),
      };
      submissions.push(entry);
      return entry;
    };

    // A socket open through the whole drill: the live stream must carry on across the outages.
    const live = new EventCollector(url, ADMIN);
    await live.opened;
    // Attendees keep queueing through the whole drill.
    let drilling = true;
    const submitter = (async () => {
      for (let i = 0; drilling; i++) {
        await submit(users[i % users.length]!);
        await pause(250);
      }
    })();

    const gpuPosts = () => sim.replicas[0]!.context.counter.number;
    const recoveries: number[] = [];
    const outages: { stoppedAt: number; upAt: number; refused: number }[] = [];
    for (let stop = 0; stop < STOPS; stop++) {
      await pause(between(300, 1500));
      const stoppedAt = Date.now();
      if (stop % 2 === 0)
        await redis.down(); // crash
      else {
        const admin = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
        admin.on('error', () => undefined);
        await admin.call('SHUTDOWN').catch(() => undefined); // an operator's restart
        admin.disconnect();
        await redis.down(); // reaps the process (already gone)
      }
      // Down until an attendee was refused during this outage (and a little longer, at random).
      await until(
        () => submissions.some((s) => s.at > stoppedAt && s.status === 503),
        20_000,
        `a refusal during outage ${stop + 1}`,
      );
      await pause(between(0, 1500));
      const postsBefore = gpuPosts();
      await redis.up();
      const upAt = Date.now();
      outages.push({ stoppedAt, upAt, refused: 0 });
      // Time from Redis back to a job reaching the GPU: queue one now (a 503 until the relay reconnects).
      const probeId = randomUUID();
      await until(
        async () => [200, 201].includes((await submit('r1', probeId)).status),
        20_000,
        'a submission accepted after Redis returned',
      );
      await until(
        () => gpuPosts() > postsBefore,
        30_000,
        `a job reaching the GPU after outage ${stop + 1}`,
      );
      recoveries.push(Date.now() - upAt);
    }
    drilling = false;
    await submitter;

    // 1. The relay process lived through it, and no rejection was left unhandled.
    expect(relay.exitCode).toBe(null);
    expect(log).not.toMatch(/unhandled promise rejection/);

    // 2. Refusals were 503 redis_unavailable with Retry-After; nothing else went wrong.
    for (const outage of outages)
      outage.refused = submissions.filter(
        (s) => s.at > outage.stoppedAt && s.at <= outage.upAt && s.status === 503,
      ).length;
    expect(outages.every((o) => o.refused > 0)).toBe(true);
    const ok = (s: Submission) => s.status === 201 || s.status === 200; // 200: a retried id the relay already had
    const refusals = submissions.filter((s) => !ok(s));
    expect(refusals.length).toBeGreaterThan(0);
    for (const refusal of refusals)
      expect([refusal.status, refusal.code, refusal.retryAfter]).toEqual([
        503,
        'redis_unavailable',
        '3',
      ]);

    // 3. Every accepted job finished, done. A refused id may still exist (stored just before Redis went): it must finish too.
    const admin = new RelayClient(url, ADMIN);
    const accepted = new Map(submissions.filter(ok).map((s) => [s.id, s.user]));
    for (const s of refusals)
      if ((await admin.call('GET', `/api/jobs/${s.id}`)).status === 200) accepted.set(s.id, s.user);
    const ids = [...accepted.keys()];
    for (const id of ids) await admin.waitFor(id, finished, 120_000);
    const jobs = await Promise.all(ids.map((id) => admin.job(id)));
    const lost = jobs.filter((j) => j.state !== 'done');
    if (lost.length)
      console.log(
        log
          .split('\n')
          .filter((l) => lost.some((j) => l.includes(j.id)) && /"level":(40|50)/.test(l))
          .join('\n'),
      );
    expect(lost.map((j) => `${j.id}: ${j.state} ${j.error?.exceptionMessage ?? ''}`)).toEqual([]);

    // 4. The GPU ran each job exactly once.
    expect(gpuPosts()).toBe(ids.length);
    expect(Object.keys(sim.replicas[0]!.context.queue.getHistory()).sort()).toEqual(
      [...ids].sort(),
    );

    // 5. Outputs delivered once: one file per job in its user's folder.
    for (const user of users) {
      const mine = jobs.filter((j) => j.userId === user);
      const named = mine
        .map((j) => (j.outputs['9']!.images as { filename: string }[])[0]!.filename)
        .sort();
      const stored = await files(join(outputDir, user));
      if (stored.join() !== named.join())
        console.log(
          `[redis-outage] ${user}: files ${stored.join(' ')}; job outputs ${mine.map((j) => `${j.id.slice(0, 8)}=${(j.outputs['9']!.images as { filename: string }[])[0]!.filename}`).join(' ')}`,
        );
      expect(stored).toEqual(named);
      expect(new Set(named).size).toBe(mine.length);
    }
    // 6. The socket open all along saw every job end, live (no reconnect, no replay).
    const endedLive = (id: string) =>
      live.events.some((e) => e.type === 'job' && e.job.id === id && e.job.state === 'done');
    await until(
      () => ids.every(endedLive),
      30_000,
      `every job's end on the live socket (missing: ${ids.filter((id) => !endedLive(id)).join(', ')})`,
    );
    expect(live.closed).toBe(false);
    live.close();
    // 7. Each success reached the event stream once.
    const events = new EventCollector(url, ADMIN, '0-0');
    await events.waitFor(
      () => ids.every((id) => events.comfy(id).some((m) => m.type === 'execution_success')),
      30_000,
    );
    for (const id of ids)
      expect(events.comfy(id).filter((m) => m.type === 'execution_success')).toHaveLength(1);
    events.close();

    const sorted = [...recoveries].sort((a, b) => a - b);
    console.log(
      `[redis-outage] ${STOPS} Redis stops: relay deaths 0, unhandled rejections 0; ${ids.length} jobs accepted, ${lost.length} lost, ` +
        `${gpuPosts() - ids.length} run twice; ${refusals.length} submissions refused 503 (per outage ${outages.map((o) => o.refused).join('/')}); ` +
        `jobs taken over after a lease expired ${(log.match(/taking over a job whose relay stopped/g) ?? []).length}; ` +
        `Redis back → a job on the GPU: median ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted[sorted.length - 1]} ms (${recoveries.join(', ')})`,
    );
    relay.kill('SIGTERM');
    await new Promise((r) => relay!.once('exit', r));
  });
});
