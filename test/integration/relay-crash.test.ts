/**
 * Durability with real processes: a relay child process killed with SIGKILL in the middle of
 * running jobs loses nothing and submits nothing twice once restarted; two relays on one Redis
 * run each of 50 jobs exactly once.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobView } from '../../protocol/src/index';
import { startSimulator } from '../../simulator/src/app';
import { startRedis, type TestRedis } from '../../kit/redis-server';
import { spawnRelay } from '../support/relay-child';
import { until } from '../../kit/until';
import {
  ADMIN,
  EventCollector,
  finished,
  fixturePrompt,
  RelayClient,
  relayEnv,
  startHarness,
  userToken,
} from './relay-harness';

type Sim = Awaited<ReturnType<typeof startSimulator>>;

let redis: TestRedis;
let dir: string;
const children: ChildProcess[] = [];
const sims: Sim[] = [];

async function simulator(stepMs: number): Promise<Sim> {
  const root = await mkdtemp(join(dir, 'sim-'));
  const sim = await startSimulator({
    port: 0,
    outputDir: join(root, 'out'),
    inputDir: join(root, 'in'),
    tempDir: join(root, 'tmp'),
    stepMs,
    previewMethod: 'none',
  });
  sims.push(sim);
  return sim;
}

beforeAll(async () => {
  redis = await startRedis();
  dir = await mkdtemp(join(tmpdir(), 'comfyume-crash-'));
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await Promise.all(sims.map((s) => s.close()));
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Every stored file under a user's output folder (recursively), relative names. */
async function files(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(root.length + 1))
    .sort();
}

describe('relay durability', () => {
  it('survives kill -9 mid-run: every job finishes, outputs once, each prompt submitted once', async () => {
    const sim = await simulator(60);
    const outputDir = join(dir, 'crash-out');
    const env = relayEnv(redis, outputDir, {
      INFERENCE_MODE: 'direct',
      COMFYUI_GPU_URLS: sim.url,
      COMFYUI_GPU_CAPACITY: '2',
    });
    const first = await spawnRelay(env, children);
    const prompt = await fixturePrompt('api-workflow-txt2img.json');
    const users = ['u1', 'u2', 'u3'];
    const ids: { user: string; id: string }[] = [];
    for (let i = 0; i < 6; i++) {
      const user = users[i % 3]!;
      const res = await new RelayClient(first.url, userToken(user)).submit({
        ...prompt,
        '3': {
          ...(prompt['3'] as object),
          inputs: { ...(prompt['3'] as { inputs: object }).inputs, seed: i },
        },
      });
      expect(res.status).toBe(201);
      ids.push({ user, id: res.body.job.id });
    }
    const adminFirst = new RelayClient(first.url, ADMIN);
    await until(
      async () => {
        const running = (await adminFirst.call('GET', '/api/jobs?state=running')).body
          .jobs as JobView[];
        return running.some((j) => j.progress !== undefined && j.progress.value >= 3);
      },
      60_000,
      'a job mid-sampling',
    );
    const before = (await adminFirst.call('GET', '/api/jobs')).body.jobs as JobView[];
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    const stateAtKill = Object.fromEntries(before.map((j) => [j.id, j.state]));
    expect(Object.values(stateAtKill)).toContain('running');

    const second = await spawnRelay(env, children);
    const admin = new RelayClient(second.url, ADMIN);
    for (const { id } of ids) await admin.waitFor(id, finished, 120_000);
    const jobs = await Promise.all(ids.map(({ id }) => admin.job(id)));
    expect(jobs.map((j) => j.state)).toEqual(ids.map(() => 'done'));

    // Nothing submitted twice: the simulator counted exactly one POST /prompt per job.
    expect(sim.replicas[0]!.context.counter.number).toBe(ids.length);
    const history = sim.replicas[0]!.context.queue.getHistory();
    expect(Object.keys(history).sort()).toEqual(ids.map((j) => j.id).sort());

    // Outputs delivered once: one file per job per user folder, named as the job's outputs say.
    for (const user of users) {
      const mine = jobs.filter((j) => j.userId === user);
      const named = mine
        .map((j) => (j.outputs['9']!.images as { filename: string }[])[0]!.filename)
        .sort();
      expect(await files(join(outputDir, user))).toEqual(named);
      expect(new Set(named).size).toBe(mine.length);
    }
    // And every job's success reached its user's event stream (replayed from the start).
    const events = new EventCollector(second.url, ADMIN, '0-0');
    await events.waitFor(
      () => ids.every(({ id }) => events.comfy(id).some((m) => m.type === 'execution_success')),
      30_000,
    );
    for (const { id } of ids)
      expect(events.comfy(id).filter((m) => m.type === 'execution_success')).toHaveLength(1);
    events.close();
    const resumed = (second.log().match(/taking over a job whose relay stopped/g) ?? []).length;
    console.log(
      `[relay-crash] states at kill: ${JSON.stringify(Object.values(stateAtKill))}; jobs taken over: ${resumed}`,
    );
    expect(resumed).toBeGreaterThan(0);
    second.child.kill('SIGTERM');
  });

  it('runs each of 50 jobs exactly once with two relays on one Redis', async () => {
    const [gpuA, gpuB] = [await simulator(1), await simulator(1)] as [Sim, Sim];
    const outputDir = join(dir, 'pair-out');
    const env = { INFERENCE_MODE: 'direct', COMFYUI_GPU_URLS: `${gpuA.url},${gpuB.url}` };
    const one = await startHarness(redis, { env, outputDir });
    const prefix = one.config.redisPrefix;
    const two = await startHarness(redis, { env: { ...env, REDIS_PREFIX: prefix }, outputDir });
    try {
      const prompt = await fixturePrompt('api-workflow-emptyimage-two-outputs.json');
      const ids: string[] = [];
      for (let i = 0; i < 50; i++) {
        const relay = i % 2 ? two : one;
        const res = await new RelayClient(relay.url, userToken(`p${i % 10}`)).submit(prompt);
        expect(res.status).toBe(201);
        ids.push(res.body.job.id);
      }
      const admin = new RelayClient(one.url, ADMIN);
      for (const id of ids) await admin.waitFor(id, finished, 120_000);
      const jobs = await Promise.all(ids.map((id) => admin.job(id)));
      expect(jobs.every((j) => j.state === 'done')).toBe(true);
      const posts =
        gpuA.replicas[0]!.context.counter.number + gpuB.replicas[0]!.context.counter.number;
      expect(posts).toBe(50);
      const ran = [
        ...Object.keys(gpuA.replicas[0]!.context.queue.getHistory()),
        ...Object.keys(gpuB.replicas[0]!.context.queue.getHistory()),
      ];
      expect(ran.sort()).toEqual([...ids].sort());
      const perGpu = [
        Object.keys(gpuA.replicas[0]!.context.queue.getHistory()).length,
        Object.keys(gpuB.replicas[0]!.context.queue.getHistory()).length,
      ];
      const byRelay = new Set(jobs.map((j) => j.backend));
      console.log(
        `[relay-pair] 50 jobs: per GPU ${perGpu.join('/')}, backends ${[...byRelay].join(', ')}`,
      );
      expect(perGpu.every((n) => n > 0)).toBe(true);
      for (let u = 0; u < 10; u++) expect(await files(join(outputDir, `p${u}`))).toHaveLength(5);
    } finally {
      await two.close();
      await one.close();
    }
  });
});
