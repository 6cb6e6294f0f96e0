/**
 * A mixed fleet of another kind: a relay in serverless mode (a simulated serverless endpoint, its
 * outputs read from the shared folder) that a pull worker joins by connecting out, beside its own
 * simulated GPU. Three users queue three jobs each, one user after the other: every job runs once
 * and ends done, both the endpoint and the worker ran some, each user's files are delivered once,
 * and the fair-share rounds hold: no user's jobs all start last.
 */
import type { ChildProcess } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { JobView } from '../../protocol/src/index';
import { until } from '../../kit/until';
import { mintWorkerToken } from '../../kit/worker-token';
import { startStack, type Attendee, type Stack, RELAY_SECRET } from '../support/sidecar-stack';
import { startSimulatedGpu, type SimulatedGpu } from '../support/simulated-gpu';
import { spawnWorker } from '../support/worker-child';
import { RelayClient, userToken } from './relay-harness';

let stack: Stack;
let gpu: SimulatedGpu;
const children: ChildProcess[] = [];
const users: Attendee[] = [];

const sampled = (i: number) => ({
  '4': {
    class_type: 'CheckpointLoaderSimple',
    inputs: { ckpt_name: 'v1-5-pruned-emaonly.safetensors' },
  },
  '5': { class_type: 'EmptyLatentImage', inputs: { width: 64, height: 64, batch_size: 1 } },
  '6': { class_type: 'CLIPTextEncode', inputs: { clip: ['4', 1], text: `job ${i}` } },
  '3': {
    class_type: 'KSampler',
    inputs: {
      model: ['4', 0],
      positive: ['6', 0],
      negative: ['6', 0],
      latent_image: ['5', 0],
      seed: i,
      steps: 10,
      cfg: 7,
      sampler_name: 'euler',
      scheduler: 'normal',
      denoise: 1,
    },
  },
  '8': { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['4', 2] } },
  '9': { class_type: 'SaveImage', inputs: { images: ['8', 0], filename_prefix: `fair/${i}` } },
});

beforeAll(async () => {
  stack = await startStack({
    serverless: true,
    gpu: { stepMs: 30 },
    relayEnv: { SERVERLESS_CAPACITY: '2' },
  });
  gpu = await startSimulatedGpu({ stepMs: 30 });
  spawnWorker(
    {
      RELAY_URL: stack.relayUrl,
      WORKER_TOKEN: mintWorkerToken(RELAY_SECRET, 'lab-box'),
      COMFYUI_URL: gpu.url,
    },
    children,
  );
  await until(
    () => stack.relay.parts.workers.list().some((w) => w.state === 'ready'),
    60_000,
    'the worker joined the serverless fleet',
  );
  for (const user of ['user001', 'user002', 'user003']) users.push(await stack.attendee(user));
}, 120_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await stack?.close();
  await gpu?.close();
});

it('shares the queue between a serverless endpoint and a pull worker, fairly, each job once', async () => {
  const queued: { user: Attendee; id: string }[] = [];
  let n = 0;
  for (const user of users)
    for (let k = 0; k < 3; k++) {
      const response = await fetch(`${user.url}/api/prompt`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: user.url },
        body: JSON.stringify({ client_id: `tab-${user.userId}`, prompt: sampled(n++) }),
      });
      const body = (await response.json()) as { prompt_id: string };
      expect(response.status, JSON.stringify(body)).toBe(200);
      queued.push({ user, id: body.prompt_id });
    }
  const jobs: (JobView & { userId: string })[] = [];
  for (const { user, id } of queued) {
    const job = await new RelayClient(stack.relayUrl, userToken(user.userId)).waitFor(
      id,
      (j) => j.state === 'done' || j.state === 'failed',
      120_000,
    );
    expect(job.state, JSON.stringify(job.error)).toBe('done');
    jobs.push({ ...job, userId: user.userId });
  }

  const backends = new Set(jobs.map((j) => j.backend));
  expect([...backends].some((b) => b === 'worker:lab-box')).toBe(true);
  expect([...backends].some((b) => b !== undefined && !b.startsWith('worker:'))).toBe(true);
  const onEndpoint = stack.gpu.replicas[0]!.context.counter.number;
  const onWorker = gpu.simulator.replicas[0]!.context.counter.number;
  expect(onEndpoint + onWorker).toBe(9); // each job reached one GPU, once
  expect(jobs.filter((j) => j.backend === 'worker:lab-box')).toHaveLength(onWorker);

  // Fairness: by start order, every user has a job among the first starts, none has all its
  // jobs last (a FIFO queue would start user003's three after the other six).
  const order = [...jobs].sort((a, b) => a.startedAt! - b.startedAt!).map((j) => j.userId);
  for (const user of users) {
    expect(order.indexOf(user.userId), order.join(' ')).toBeLessThan(6);
    expect(
      order.slice(-3).every((u) => u === user.userId),
      order.join(' '),
    ).toBe(false);
  }
  for (const user of users) {
    const files = (
      await readdir(join(stack.root, 'relay/outputs', user.userId, 'fair'), { recursive: true })
    ).filter((f) => f.endsWith('.png'));
    expect(files, user.userId).toHaveLength(3); // delivered once each
  }
}, 240_000);
