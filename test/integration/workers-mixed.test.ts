/**
 * A mixed fleet: a relay in direct mode (one simulated GPU it reaches itself) that a pull worker
 * joins by connecting out (beside its own simulated GPU). The queue is shared: both run jobs, each
 * job runs once, all finish.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { until } from '../../kit/until';
import { mintWorkerToken } from '../../kit/worker-token';
import { startStack, type Attendee, type Stack, RELAY_SECRET } from '../support/sidecar-stack';
import { startSimulatedGpu, type SimulatedGpu } from '../support/simulated-gpu';
import { spawnWorker } from '../support/worker-child';
import { RelayClient, userToken } from './relay-harness';

let stack: Stack;
let gpu: SimulatedGpu;
const children: ChildProcess[] = [];
let alice: Attendee;
let bob: Attendee;

beforeAll(async () => {
  stack = await startStack({ gpu: { stepMs: 30 } });
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
    'the worker joined the direct fleet',
  );
  alice = await stack.attendee('user001');
  bob = await stack.attendee('user002');
}, 120_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await stack?.close();
  await gpu?.close();
});

it('shares the queue between a direct GPU and a pull worker, each job once', async () => {
  const prompt = (i: number) => ({
    '1': { class_type: 'EmptyImage', inputs: { width: 16, height: 16, batch_size: 1, color: i } },
    '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: `mixed/${i}` } },
  });
  const ids: { user: string; id: string }[] = [];
  for (let i = 0; i < 8; i++) {
    const a = i % 2 ? bob : alice;
    const response = await fetch(`${a.url}/api/prompt`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: a.url },
      body: JSON.stringify({ client_id: `tab-${a.userId}`, prompt: prompt(i) }),
    });
    expect(response.status).toBe(200);
    ids.push({ user: a.userId, id: ((await response.json()) as { prompt_id: string }).prompt_id });
  }
  const backends = new Set<string>();
  for (const { user, id } of ids) {
    const job = await new RelayClient(stack.relayUrl, userToken(user)).waitFor(
      id,
      (j) => j.state === 'done' || j.state === 'failed',
      90_000,
    );
    expect(job.state, JSON.stringify(job.error)).toBe('done');
    backends.add(job.backend!);
  }
  expect([...backends].sort()).toEqual([expect.stringMatching(/^direct:/), 'worker:lab-box']);
  const direct = stack.gpu.replicas[0]!.context.counter.number;
  const pulled = gpu.simulator.replicas[0]!.context.counter.number;
  expect(direct + pulled).toBe(8); // each job reached one GPU, once
}, 180_000);
