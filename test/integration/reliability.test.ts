/**
 * The reliability drills of issue 11, with real processes: a relay killed with kill -9 during
 * serverless jobs (replicas with the agent), a direct GPU killed with kill -9 mid-job (with another
 * GPU alive, and alone), a GPU socket that keeps dropping while the GPU lives, and a cold GPU on
 * the first jobs. Each drill asserts 0 jobs lost, 0 duplicated GPU runs (the GPUs' own /history
 * and /queue), outputs delivered once (the user's folder, one `execution_success` per job) and the
 * relay alive. The Redis stop/restart drill lives in its own suite; the direct-mode relay kill -9
 * is relay-crash.test.ts.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobView } from '../../protocol/src/index';
import { spawnManaged, type ManagedProcess } from '../../cli/src/stack/processes';
import { startSimulator, type RunningSimulator } from '../../simulator/src/app';
import { freePort } from '../../kit/free-port';
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
  type Harness,
} from './relay-harness';
import { historyCount, journalsOf } from './serverless-agent-harness';

const repo = resolve(import.meta.dirname, '../..');

let redis: TestRedis;
let dir: string;
const children: ChildProcess[] = [];
const gpus: ManagedProcess[] = [];
const sims: RunningSimulator[] = [];
const harnesses: Harness[] = [];

beforeAll(async () => {
  redis = await startRedis();
  dir = await mkdtemp(join(tmpdir(), 'comfyume-reliability-'));
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  for (const harness of harnesses) await harness.close().catch(() => undefined);
  await Promise.all(gpus.map((gpu) => gpu.stop(2_000).catch(() => undefined)));
  await Promise.all(sims.map((sim) => sim.close()));
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

type Gpu = { name: string; url: string; proc: ManagedProcess; kill(): void };

/** A direct GPU: `comfyume simulate` in a process group of its own, so kill -9 takes it down as a crash would. */
async function startGpu(name: string, args: string[] = []): Promise<Gpu> {
  const port = await freePort();
  const root = await mkdtemp(join(dir, `${name}-`));
  const proc = spawnManaged(
    name,
    process.execPath,
    [
      'bin/comfyume.js',
      'simulate',
      '--port',
      String(port),
      '--output-dir',
      join(root, 'o'),
      '--input-dir',
      join(root, 'i'),
      '--temp-dir',
      join(root, 't'),
      ...args,
    ],
    { cwd: repo },
  );
  gpus.push(proc);
  const url = `http://127.0.0.1:${port}`;
  // Any HTTP answer means it listens (a cold one answers 503).
  await until(
    () =>
      fetch(`${url}/system_stats`).then(
        () => true,
        () => false,
      ),
    60_000,
    `${name} listening (${proc.tail()})`,
  );
  return {
    name: `direct:127.0.0.1:${port}`,
    url,
    proc,
    kill: () => process.kill(-proc.pid, 'SIGKILL'),
  };
}

/** How many times a live GPU holds the prompt: done (its /history) plus queued or running (its /queue). */
async function runsOn(url: string, jobId: string): Promise<number> {
  const history = (await (await fetch(`${url}/history/${jobId}`)).json()) as Record<
    string,
    unknown
  >;
  const queue = (await (await fetch(`${url}/queue`)).json()) as {
    queue_running: unknown[][];
    queue_pending: unknown[][];
  };
  const queued = [...queue.queue_running, ...queue.queue_pending].filter(
    (item) => item[1] === jobId,
  ).length;
  return (jobId in history ? 1 : 0) + queued;
}

/** Every stored file under a user's output folder (recursively), relative names. */
async function files(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(root.length + 1))
    .sort();
}

async function samplerPrompt(seed: number): Promise<Record<string, unknown>> {
  const prompt = await fixturePrompt('api-workflow-txt2img.json');
  const sampler = prompt['3'] as { inputs: Record<string, unknown> };
  return { ...prompt, '3': { ...sampler, inputs: { ...sampler.inputs, seed } } };
}

/** Outputs delivered once: one file per done job in its user's folder, one `execution_success` per job on the stream. */
async function assertDeliveredOnce(url: string, outputDir: string, jobs: JobView[]): Promise<void> {
  for (const user of new Set(jobs.map((j) => j.userId))) {
    const mine = jobs.filter((j) => j.userId === user && j.state === 'done');
    const named = mine
      .map((j) =>
        (j.outputs['9']!.images as { subfolder: string; filename: string }[]).map((i) =>
          i.subfolder ? `${i.subfolder}/${i.filename}` : i.filename,
        ),
      )
      .flat()
      .sort();
    expect(named).toHaveLength(mine.length);
    expect(await files(join(outputDir, user))).toEqual(named);
  }
  const events = new EventCollector(url, ADMIN, '0-0');
  try {
    const done = jobs.filter((j) => j.state === 'done');
    await events.waitFor(
      () => done.every((j) => events.comfy(j.id).some((m) => m.type === 'execution_success')),
      30_000,
    );
    for (const job of done)
      expect(events.comfy(job.id).filter((m) => m.type === 'execution_success')).toHaveLength(1);
  } finally {
    events.close();
  }
}

type HealthBody = { ok: boolean; redis: string; backends: { state: string }[] };

/**
 * The relay answers /health with Redis up: 200 once a GPU is connected (a blipping socket may be
 * between reconnects), or 503 naming the GPU down when the only one is dead — its honest answer.
 */
async function relayAlive(url: string, gpusUp = true): Promise<void> {
  let last: { status: number; body: HealthBody } | undefined;
  await until(
    async () => {
      const res = await fetch(`${url}/health`);
      last = { status: res.status, body: (await res.json()) as HealthBody };
      return last.status === (gpusUp ? 200 : 503);
    },
    30_000,
    'the relay healthy',
  );
  expect(last!.body.redis).toBe('up');
  if (!gpusUp) expect(last!.body.backends.map((b) => b.state)).toEqual(['down']);
}

describe('a direct GPU that dies mid-job', () => {
  async function directRelay(
    name: string,
    urls: string[],
  ): Promise<{ harness: Harness; alice: RelayClient }> {
    const outputDir = join(dir, `${name}-out`);
    const harness = await startHarness(redis, {
      env: { INFERENCE_MODE: 'direct', COMFYUI_GPU_URLS: urls.join(',') },
      outputDir,
    });
    harnesses.push(harness);
    return { harness, alice: new RelayClient(harness.url, userToken('alice')) };
  }

  /** Submits a 20-step job and kills its GPU (kill -9) once it is sampling; when, and on which GPU. */
  async function killMidJob(alice: RelayClient, gpusByName: Map<string, Gpu>) {
    const submitted = await alice.submit(await samplerPrompt(1));
    expect(submitted.status).toBe(201);
    const id = submitted.body.job.id as string;
    const running = await alice.waitFor(
      id,
      (j) => (j.progress?.value ?? 0) >= 3 || finished(j),
      60_000,
    );
    expect(running.state).toBe('running');
    const victim = gpusByName.get(running.backend!)!;
    victim.kill();
    const killedAt = Date.now();
    await victim.proc.exited;
    return { id, victim, killedAt };
  }

  it('resubmits the job once to the other live GPU, which runs it once, within 10 s of the death', async () => {
    const [a, b] = await Promise.all([
      startGpu('gpu-a', ['--step-ms', '150']),
      startGpu('gpu-b', ['--step-ms', '150']),
    ]);
    const { harness, alice } = await directRelay('resubmit', [a.url, b.url]);
    const { id, victim, killedAt } = await killMidJob(
      alice,
      new Map([
        [a.name, a],
        [b.name, b],
      ]),
    );
    const survivor = victim === a ? b : a;
    // The moment the survivor has the prompt: the resubmit.
    let resubmittedAt = 0;
    const watching = until(
      async () => (await runsOn(survivor.url, id)) > 0,
      60_000,
      'the job on the surviving GPU',
    ).then(() => (resubmittedAt = Date.now()));
    const job = await alice.waitFor(id, finished, 120_000);
    await watching;
    const toResubmit = (resubmittedAt - killedAt) / 1000;
    const toDone = (job.finishedAt! - killedAt) / 1000;
    console.log(
      `[reliability] direct GPU killed mid-job, another alive: resubmitted ${toResubmit.toFixed(1)} s after the kill, done ${toDone.toFixed(1)} s after it; lost 0, runs on the survivor ${await runsOn(survivor.url, id)}`,
    );
    expect(job.state).toBe('done');
    expect(toResubmit).toBeLessThan(10);
    expect(await runsOn(survivor.url, id)).toBe(1);
    // Attempt 2's files live under `@2/` on the survivor; the user sees the one output, once.
    expect(job.outputs['9']!.images).toHaveLength(1);
    await assertDeliveredOnce(harness.url, harness.outputDir, [job]);
    await relayAlive(harness.url);
  });

  it('cancels a moved job on the GPU that runs it now', async () => {
    const [a, b] = await Promise.all([
      startGpu('gpu-g', ['--step-ms', '300']),
      startGpu('gpu-h', ['--step-ms', '300']),
    ]);
    const { alice } = await directRelay('cancel-moved', [a.url, b.url]);
    const { id, victim } = await killMidJob(
      alice,
      new Map([
        [a.name, a],
        [b.name, b],
      ]),
    );
    const survivor = victim === a ? b : a;
    await until(
      async () => (await runsOn(survivor.url, id)) > 0,
      60_000,
      'attempt 2 on the surviving GPU',
    );
    expect((await alice.call('DELETE', `/api/jobs/${id}`)).status).toBeLessThan(300);
    const job = await alice.waitFor(id, finished, 60_000);
    expect(job.state).toBe('cancelled');
    // The survivor was asked: its run ended interrupted, not done.
    await until(
      async () => {
        const entry = (
          (await (await fetch(`${survivor.url}/history/${id}`)).json()) as Record<
            string,
            { status?: { status_str?: string } }
          >
        )[id];
        return entry === undefined
          ? (await runsOn(survivor.url, id)) === 0
          : entry.status?.status_str === 'error';
      },
      30_000,
      'the surviving GPU to stop the job',
    );
  });

  it('finishes a moved job once when the relay is killed (kill -9) while attempt 2 runs on the other GPU', async () => {
    const [a, b] = await Promise.all([
      startGpu('gpu-c', ['--step-ms', '300']),
      startGpu('gpu-d', ['--step-ms', '300']),
    ]);
    const outputDir = join(dir, 'moved-out');
    const env = relayEnv(redis, outputDir, {
      INFERENCE_MODE: 'direct',
      COMFYUI_GPU_URLS: `${a.url},${b.url}`,
    });
    const first = await spawnRelay(env, children);
    const { id, victim } = await killMidJob(
      new RelayClient(first.url, userToken('alice')),
      new Map([
        [a.name, a],
        [b.name, b],
      ]),
    );
    const survivor = victim === a ? b : a;
    await until(
      async () => (await runsOn(survivor.url, id)) > 0,
      60_000,
      'attempt 2 on the surviving GPU',
    );
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    const second = await spawnRelay(env, children);
    const job = await new RelayClient(second.url, userToken('alice')).waitFor(
      id,
      finished,
      120_000,
    );
    console.log(
      `[reliability] relay kill -9 during a moved job's attempt 2: ${job.state}, runs on the survivor ${await runsOn(survivor.url, id)}`,
    );
    expect(job.state).toBe('done');
    expect(await runsOn(survivor.url, id)).toBe(1);
    expect(second.log()).toMatch(/taking over a job whose relay stopped/);
    await assertDeliveredOnce(second.url, outputDir, [job]);
    await relayAlive(second.url);
    second.child.kill('SIGTERM');
  });

  it('moves the job off a frozen GPU (SIGSTOP) and, once it thaws, drops it there: one success in all', async () => {
    // Frozen, the GPU keeps its TCP connections open: only the socket's pings notice it.
    const [a, b] = await Promise.all([
      startGpu('gpu-e', ['--step-ms', '400']),
      startGpu('gpu-f', ['--step-ms', '400']),
    ]);
    const { harness, alice } = await directRelay('frozen', [a.url, b.url]);
    const submitted = await alice.submit(await samplerPrompt(3));
    const id = submitted.body.job.id as string;
    const running = await alice.waitFor(
      id,
      (j) => (j.progress?.value ?? 0) >= 2 || finished(j),
      60_000,
    );
    expect(running.state).toBe('running');
    const victim = running.backend === a.name ? a : b;
    const survivor = victim === a ? b : a;
    process.kill(-victim.proc.pid, 'SIGSTOP');
    const frozenAt = Date.now();
    let movedAt = 0;
    try {
      await until(
        async () => (await runsOn(survivor.url, id)) > 0,
        60_000,
        'the job on the other GPU',
      );
      movedAt = Date.now();
    } finally {
      process.kill(-victim.proc.pid, 'SIGCONT');
    }
    const job = await alice.waitFor(id, finished, 120_000);
    expect(job.state).toBe('done');
    expect(await runsOn(survivor.url, id)).toBe(1);
    // Thawed, the GPU was told to drop its copy: not queued there, and never a second success.
    let status = '';
    await until(
      async () => {
        const entry = (
          (await (await fetch(`${victim.url}/history/${id}`)).json()) as Record<
            string,
            { status?: { status_str?: string } }
          >
        )[id];
        status = entry?.status?.status_str ?? 'no trace';
        return (await runsOn(victim.url, id)) === (entry ? 1 : 0);
      },
      60_000,
      'the thawed GPU to drop the job',
    );
    console.log(
      `[reliability] frozen GPU (SIGSTOP): moved ${((movedAt - frozenAt) / 1000).toFixed(1)} s after the freeze; on the thawed GPU: ${status}`,
    );
    expect(status).not.toBe('success');
    await assertDeliveredOnce(harness.url, harness.outputDir, [job]);
    await relayAlive(harness.url);
  });

  it('fails the job with the reason within 10 s when no other GPU is alive', async () => {
    const only = await startGpu('gpu-only', ['--step-ms', '150']);
    const { harness, alice } = await directRelay('alone', [only.url]);
    const { id, killedAt } = await killMidJob(alice, new Map([[only.name, only]]));
    const job = await alice.waitFor(id, finished, 60_000);
    const toFailed = (job.finishedAt! - killedAt) / 1000;
    console.log(
      `[reliability] direct GPU killed mid-job, none other: failed ${toFailed.toFixed(1)} s after the kill: ${job.error?.message}`,
    );
    expect(job.state).toBe('failed');
    expect(toFailed).toBeLessThan(10);
    expect(job.error?.exceptionType).toBe('GpuDied');
    expect(job.error?.message).toMatch(
      /^The GPU direct:127\.0\.0\.1:\d+ stopped responding while running node 3 \(KSampler\); its connection closed/,
    );
    expect(job.error?.message).toMatch(
      /No other GPU is available to take the job over: queue it again/,
    );
    await relayAlive(harness.url, false);
  });

  it('keeps following on the same GPU when only its socket drops (a network blip), running it once', async () => {
    // Both GPUs drop every socket after 0.7 s but answer HTTP: blips, never deaths, wherever the job runs.
    const blipping = await Promise.all(
      ['blip-a', 'blip-b'].map((name) =>
        startSimulator({
          port: 0,
          outputDir: join(dir, name, 'o'),
          inputDir: join(dir, name, 'i'),
          tempDir: join(dir, name, 't'),
          stepMs: 150,
          previewMethod: 'none',
          failures: { dropSocketsAfterMs: 700 },
        }),
      ),
    );
    sims.push(...blipping);
    const { harness, alice } = await directRelay(
      'blip',
      blipping.map((sim) => sim.url),
    );
    const submitted = await alice.submit(await samplerPrompt(2));
    const id = submitted.body.job.id as string;
    const job = await alice.waitFor(id, finished, 120_000);
    expect(job.state).toBe('done');
    expect(blipping.map((sim) => sim.replicas[0]!.context.counter.number).sort()).toEqual([0, 1]);
    expect(
      blipping.flatMap((sim) => Object.keys(sim.replicas[0]!.context.queue.getHistory())),
    ).toEqual([id]);
    await assertDeliveredOnce(harness.url, harness.outputDir, [job]);
    await relayAlive(harness.url);
  });
});

describe('a cold GPU on the first jobs', () => {
  it('runs every job once when it is warm; nothing lost', async () => {
    const cold = await startGpu('gpu-cold', ['--step-ms', '20', '--cold-start-ms', '5000']);
    const outputDir = join(dir, 'cold-out');
    const harness = await startHarness(redis, {
      env: { INFERENCE_MODE: 'direct', COMFYUI_GPU_URLS: cold.url },
      outputDir,
    });
    harnesses.push(harness);
    expect((await fetch(`${cold.url}/system_stats`)).status).toBe(503);
    const ids: string[] = [];
    for (const [i, user] of ['u1', 'u2', 'u3'].entries()) {
      const res = await new RelayClient(harness.url, userToken(user)).submit(
        await samplerPrompt(10 + i),
      );
      expect(res.status).toBe(201);
      ids.push(res.body.job.id as string);
    }
    const admin = new RelayClient(harness.url, ADMIN);
    const t0 = Date.now();
    const jobs = await Promise.all(ids.map((id) => admin.waitFor(id, finished, 120_000)));
    console.log(
      `[reliability] cold GPU (5 s): ${jobs.length} jobs, states ${jobs.map((j) => j.state).join('/')}, all ended ${((Date.now() - t0) / 1000).toFixed(1)} s after submit`,
    );
    expect(jobs.map((j) => j.state)).toEqual(['done', 'done', 'done']);
    for (const id of ids) expect(await runsOn(cold.url, id)).toBe(1);
    await assertDeliveredOnce(harness.url, outputDir, jobs);
    await relayAlive(harness.url);
  });
});

describe('the relay killed with kill -9 during serverless jobs', () => {
  it('finishes every job once after a restart: no job lost, none run twice, outputs once', async () => {
    const sfs = join(dir, 'sl-sfs');
    const sim = await startSimulator({
      port: 0,
      outputDir: join(sfs, 'output'),
      inputDir: join(sfs, 'input'),
      tempDir: join(dir, 'sl-temp'),
      replicas: 2,
      stepMs: 150,
      agent: { heartbeatMs: 1000 },
    });
    sims.push(sim);
    const outputDir = join(dir, 'sl-out');
    const env = relayEnv(redis, outputDir, {
      INFERENCE_MODE: 'serverless',
      SERVERLESS_ENDPOINT: sim.url,
      SFS_OUTPUT_DIR: join(sfs, 'output'),
      SFS_INPUT_DIR: join(sfs, 'input'),
      SFS_POLL_MS: '100',
      SERVERLESS_HISTORY_POLL_MS: '300',
      SERVERLESS_CAPACITY: '4',
    });
    const first = await spawnRelay(env, children);
    const users = ['s1', 's2', 's3', 's4'];
    const ids: string[] = [];
    for (const [i, user] of users.entries()) {
      const res = await new RelayClient(first.url, userToken(user)).submit(
        await samplerPrompt(20 + i),
      );
      expect(res.status).toBe(201);
      ids.push(res.body.job.id as string);
    }
    const adminFirst = new RelayClient(first.url, ADMIN);
    await until(
      async () => {
        const running = (await adminFirst.call('GET', '/api/jobs?state=running')).body
          .jobs as JobView[];
        return running.some((j) => (j.progress?.value ?? 0) >= 3);
      },
      60_000,
      'a job mid-sampling',
    );
    const atKill = ((await adminFirst.call('GET', '/api/jobs')).body.jobs as JobView[])
      .filter((j) => ids.includes(j.id))
      .map((j) => j.state);
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    const killedAt = Date.now();

    const second = await spawnRelay(env, children);
    const admin = new RelayClient(second.url, ADMIN);
    const jobs = await Promise.all(ids.map((id) => admin.waitFor(id, finished, 180_000)));
    const seconds = (Math.max(...jobs.map((j) => j.finishedAt!)) - killedAt) / 1000;
    const runs = await Promise.all(ids.map((id) => historyCount(sim, id)));
    const attempts = await Promise.all(
      ids.map(async (id) => (await journalsOf(join(sfs, 'output'), id)).length),
    );
    console.log(
      `[reliability] relay kill -9 during ${ids.length} serverless jobs (states at kill ${atKill.join('/')}): all ended ${seconds.toFixed(1)} s after the kill; states ${jobs.map((j) => j.state).join('/')}; GPU runs per job ${runs.join('/')}; attempts ${attempts.join('/')}`,
    );
    expect(atKill).toContain('running');
    expect(jobs.map((j) => j.state)).toEqual(ids.map(() => 'done'));
    expect(runs).toEqual(ids.map(() => 1));
    expect(attempts).toEqual(ids.map(() => 1));
    await assertDeliveredOnce(second.url, outputDir, jobs);
    await relayAlive(second.url);
    second.child.kill('SIGTERM');
  });
});
