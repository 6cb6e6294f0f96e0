/**
 * Pull workers end to end with real processes: attendees' sidecars → a relay in
 * INFERENCE_MODE=workers on real Redis → two `comfyume worker` child processes, each beside its own
 * simulated GPU, connected out to the relay. Jobs run once each and deliver their outputs once; a
 * worker killed with -9 mid-job loses nothing (the job finishes on the other one within the lease)
 * and is told to drop the job when it returns; bad tokens, foreign uploads and escaping names
 * (`..`, absolute, through a symlink) are refused with nothing stored. The admin status lists each
 * worker's jobs and last-seen time, and /metrics counts connected and lost workers.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { QueueStatus, workerPaths, WORKER_UPLOAD_HEADERS } from '../../protocol/src/index';
import { eventually, until } from '../../kit/until';
import { mintWorkerToken } from '../../kit/worker-token';
import {
  startStack,
  type Attendee,
  type Stack,
  ADMIN_TOKEN,
  RELAY_SECRET,
} from '../support/sidecar-stack';
import { startSimulatedGpu, type SimulatedGpu } from '../support/simulated-gpu';
import { spawnWorker, type WorkerChild } from '../support/worker-child';
import { RelayClient, userToken } from './relay-harness';

let stack: Stack;
const gpus: SimulatedGpu[] = [];
const children: ChildProcess[] = [];
const workers = new Map<string, WorkerChild>();
const attendees: Attendee[] = [];
const tokenOf = (name: string) => mintWorkerToken(RELAY_SECRET, name);

function startWorker(name: string, gpu: SimulatedGpu): WorkerChild {
  const worker = spawnWorker(
    { RELAY_URL: stack.relayUrl, WORKER_TOKEN: tokenOf(name), COMFYUI_URL: gpu.url },
    children,
  );
  workers.set(name, worker);
  return worker;
}

const fleet = () => stack.relay.parts.workers.list();
const ready = (name: string) => fleet().some((w) => w.worker === name && w.state === 'ready');
const submitsOn = (gpu: SimulatedGpu) => gpu.simulator.replicas[0]!.context.counter.number;

async function queuePrompt(a: Attendee, prompt: Record<string, unknown>): Promise<string> {
  const response = await fetch(`${a.url}/api/prompt`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: a.url },
    body: JSON.stringify({ client_id: `tab-${a.userId}`, prompt }),
  });
  const body = (await response.json()) as { prompt_id?: string };
  expect(response.status, JSON.stringify(body)).toBe(200);
  return body.prompt_id!;
}

const image = (prefix: string) => ({
  '1': { class_type: 'EmptyImage', inputs: { width: 16, height: 16, batch_size: 1, color: 7 } },
  '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: prefix } },
});
const slow = (steps: number, prefix: string) => ({
  '4': {
    class_type: 'CheckpointLoaderSimple',
    inputs: { ckpt_name: 'v1-5-pruned-emaonly.safetensors' },
  },
  '5': { class_type: 'EmptyLatentImage', inputs: { width: 64, height: 64, batch_size: 1 } },
  '6': { class_type: 'CLIPTextEncode', inputs: { clip: ['4', 1], text: 'a cat' } },
  '3': {
    class_type: 'KSampler',
    inputs: {
      model: ['4', 0],
      positive: ['6', 0],
      negative: ['6', 0],
      latent_image: ['5', 0],
      seed: 1,
      steps,
      cfg: 7,
      sampler_name: 'euler',
      scheduler: 'normal',
      denoise: 1,
    },
  },
  '8': { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['4', 2] } },
  '9': { class_type: 'SaveImage', inputs: { images: ['8', 0], filename_prefix: prefix } },
});

/** The admin's (or a user's) view of the workers' backends in the queue status. */
async function workerBackends(token = ADMIN_TOKEN) {
  const response = await fetch(`${stack.relayUrl}/api/queue/status`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const status = QueueStatus.parse(await response.json());
  return status.backends.filter((b) => b.name.startsWith('worker:'));
}

/** `comfyume_workers{state=…}` as /metrics answers it (scraped with the operator's token). */
async function workersGauge(): Promise<Record<string, number>> {
  const text = await (
    await fetch(`${stack.relayUrl}/metrics`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    })
  ).text();
  const gauge: Record<string, number> = {};
  for (const match of text.matchAll(/^comfyume_workers\{([^}]*)\} (\d+)$/gm)) {
    const state = /state="(\w+)"/.exec(match[1]!)?.[1];
    if (state) gauge[state] = Number(match[2]);
  }
  return gauge;
}

const files = async (dir: string): Promise<string[]> =>
  (await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []))
    .filter((e) => e.isFile() && !e.name.startsWith('.'))
    .map((e) => join(e.parentPath, e.name));

beforeAll(async () => {
  stack = await startStack({
    relayEnv: { INFERENCE_MODE: 'workers', WORKER_LEASE_MS: '2000', LOG_LEVEL: 'silent' },
  });
  for (let i = 0; i < 2; i++) gpus.push(await startSimulatedGpu({ stepMs: 20 }));
  startWorker('gpu-a', gpus[0]!);
  startWorker('gpu-b', gpus[1]!);
  await until(() => ready('gpu-a') && ready('gpu-b'), 60_000, 'both workers connected');
  for (const user of ['user001', 'user002', 'user003']) attendees.push(await stack.attendee(user));
}, 120_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await stack?.close();
  for (const gpu of gpus) await gpu.close();
});

describe('pull workers', () => {
  it('runs 10 jobs of 3 users on 2 workers: all done, each run once, outputs delivered once', async () => {
    const before = gpus.map(submitsOn);
    const ids: { user: Attendee; id: string }[] = [];
    for (let i = 0; i < 10; i++) {
      const user = attendees[i % 3]!;
      ids.push({ user, id: await queuePrompt(user, image(`w/job${i}`)) });
    }
    for (const { user, id } of ids) {
      const job = await new RelayClient(stack.relayUrl, userToken(user.userId)).waitFor(
        id,
        (j) => j.state === 'done' || j.state === 'failed',
        90_000,
      );
      expect(job.state, JSON.stringify(job.error)).toBe('done');
      expect(job.backend).toMatch(/^worker:gpu-[ab]$/);
    }
    const runs = gpus.map((gpu, i) => submitsOn(gpu) - before[i]!);
    expect(runs[0]! + runs[1]!).toBe(10); // each job reached a GPU exactly once
    expect(runs.every((n) => n > 0)).toBe(true); // both workers served
    expect(await workersGauge()).toEqual({ connected: 2, lost: 0 });
    for (const [i, a] of attendees.entries()) {
      const expected = ids.filter((x) => x.user === a).length;
      expect(await files(join(stack.root, 'relay/outputs', a.userId, 'w'))).toHaveLength(expected);
      await eventually(
        async () => (await files(join(a.dirs.output, 'w'))).length === expected,
        30_000,
        `user ${i}'s outputs in the local folder`,
      );
    }
  }, 180_000);

  it('refuses tokens of the other kind, foreign uploads and escaping names, storing nothing', async () => {
    // A user token on the worker socket, a worker token on a user endpoint.
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${stack.relayUrl.replace('http', 'ws')}${workerPaths.socket}`, {
        headers: { authorization: `Bearer ${userToken('user001')}` },
      });
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('open', () => resolve(101));
      ws.once('error', () => undefined);
    });
    expect(status).toBe(401);
    const asUser = await fetch(`${stack.relayUrl}/api/jobs`, {
      headers: { authorization: `Bearer ${tokenOf('gpu-a')}` },
    });
    expect(asUser.status).toBe(401);
    const userOnFiles = await fetch(
      `${stack.relayUrl}${workerPaths.output('x', 1, 'output', 'a.png')}`,
      { method: 'PUT', headers: { authorization: `Bearer ${userToken('user001')}` }, body: 'x' },
    );
    expect(userOnFiles.status).toBe(401);

    const user = attendees[0]!;
    const id = await queuePrompt(user, slow(120, 'w/held'));
    await until(() => fleet().some((w) => w.jobs.includes(id)), 30_000, 'job on a worker');
    const holder = fleet().find((w) => w.jobs.includes(id))!.worker;
    const other = holder === 'gpu-a' ? 'gpu-b' : 'gpu-a';
    const put = (worker: string, name: string) =>
      fetch(`${stack.relayUrl}${workerPaths.output(id, 1, 'output', name)}&offset=0`, {
        method: 'PUT',
        headers: {
          authorization: `Bearer ${tokenOf(worker)}`,
          [WORKER_UPLOAD_HEADERS.size]: '3',
          [WORKER_UPLOAD_HEADERS.sha256]: 'a'.repeat(64),
        },
        body: 'abc',
      });
    expect((await put(other, 'comfyume/x.png')).status).toBe(403);
    const escape = await put(holder, '../../../../escape.png');
    expect(escape.status).toBe(400);
    expect(((await escape.json()) as { error: { code: string } }).error.code).toBe('path_escape');
    const absolute = await put(holder, '/tmp/escape.png');
    expect(absolute.status).toBe(400);
    expect(await files(stack.relay.parts.config.workers.uploadDir)).toEqual([]);
    // A symlink in the job's upload folder leading out of it (nothing the relay makes): refused too.
    const outside = await mkdtemp(join(tmpdir(), 'comfyume-outside-'));
    const staged = join(stack.relay.parts.config.workers.uploadDir, `${id}@1`, 'output');
    await mkdir(staged, { recursive: true });
    await symlink(outside, join(staged, 'planted'));
    const viaLink = await put(holder, 'planted/escape.png');
    expect(viaLink.status).toBe(400);
    expect(await readdir(outside)).toEqual([]);
    await rm(join(staged, 'planted'));
    await rm(outside, { recursive: true });

    // The dashboard's view: the worker holding the job lists it, seen just now; users see no ids.
    const listed = (await workerBackends()).find((b) => b.name === `worker:${holder}`)!;
    expect(listed.state).toBe('ready');
    expect(listed.jobs).toEqual([id]);
    expect(Date.now() - listed.lastSeenAt!).toBeLessThan(10_000);
    expect((await workerBackends()).find((b) => b.name === `worker:${other}`)!.jobs).toEqual([]);
    const userView = (await workerBackends(userToken('user001')))[0]!;
    expect(userView.jobs).toBeUndefined();
    expect(userView.lastSeenAt).toBeUndefined();
    const done = await new RelayClient(stack.relayUrl, userToken(user.userId)).waitFor(
      id,
      (j) => j.state === 'done' || j.state === 'failed',
      90_000,
    );
    expect(done.state).toBe('done');
  }, 120_000);

  it('moves the job of a worker killed with -9 to the other within its lease; the returning one drops it', async () => {
    const user = attendees[1]!;
    const before = gpus.map(submitsOn);
    const id = await queuePrompt(user, slow(500, 'w/moved')); // 10 s on a GPU
    await until(() => fleet().some((w) => w.jobs.includes(id)), 30_000, 'job on a worker');
    const victim = fleet().find((w) => w.jobs.includes(id))!.worker;
    const victimGpu = gpus[victim === 'gpu-a' ? 0 : 1]!;
    const client = new RelayClient(stack.relayUrl, userToken(user.userId));
    await client.waitFor(id, (j) => j.state === 'running', 30_000);
    workers.get(victim)!.child.kill('SIGKILL');
    const killedAt = Date.now();
    await until(() => !ready(victim), 10_000, 'the relay sees the worker gone');
    expect(await workersGauge()).toEqual({ connected: 1, lost: 1 });
    const lostAt = (await workerBackends()).find((b) => b.name === `worker:${victim}`)!;
    expect(lostAt.state).toBe('down');
    expect(lostAt.lastSeenAt).toBeLessThanOrEqual(Date.now());
    await until(
      () => fleet().some((w) => w.worker !== victim && w.jobs.includes(id)),
      15_000,
      'the job moved to the other worker',
    );
    expect(Date.now() - killedAt).toBeLessThan(2_000 + 8_000); // lease 2 s, plus the socket's silence check
    // The victim's GPU still runs attempt 1: its worker comes back and is told to drop it.
    startWorker(victim, victimGpu);
    await until(() => ready(victim), 60_000, 'the killed worker back');
    expect(await workersGauge()).toEqual({ connected: 2, lost: 0 });
    await eventually(
      async () => {
        const entry = (await (await fetch(`${victimGpu.url}/history/${id}`)).json()) as Record<
          string,
          { status?: { status_str?: string } }
        >;
        return entry[id]?.status?.status_str === 'error' || undefined;
      },
      30_000,
      'attempt 1 interrupted on the killed worker GPU',
    );
    const job = await client.waitFor(id, (j) => j.state === 'done' || j.state === 'failed', 90_000);
    expect(job.state, JSON.stringify(job.error)).toBe('done');
    const runs = gpus.map((gpu, i) => submitsOn(gpu) - before[i]!);
    expect(runs[0]! + runs[1]!).toBe(2); // attempt 1 on the victim, attempt 2 on the other: never more
    const delivered = (await files(join(stack.root, 'relay/outputs', user.userId, 'w'))).filter(
      (f) => f.includes('moved'),
    );
    expect(delivered).toHaveLength(1); // delivered once, from attempt 2
  }, 180_000);
});
