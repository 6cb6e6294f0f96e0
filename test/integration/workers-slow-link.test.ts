/**
 * A pull worker on a slow, bloated uplink: every byte it sends to the relay (its WebSocket and its
 * uploads) goes through a 256 KB/s link whose 2 MB queue holds its pongs and job messages back by
 * up to 8 s behind a big output file, longer than the relay's socket silence allowance (3 pings of
 * 2 s) and its lease (2 s). The upload's arriving bytes count as the worker being alive, and the
 * relay's pings (on the fast downlink) as the relay being alive, so the job stays with the worker:
 * done once, its output byte-identical to the GPU's, delivered once.
 */
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { blankImage } from '../../simulator/src/images/image';
import { encodePng } from '../../simulator/src/images/png';
import { prng } from '../../simulator/src/images/synth';
import { eventually, until } from '../../kit/until';
import { mintWorkerToken } from '../../kit/worker-token';
import { startStack, type Attendee, type Stack, RELAY_SECRET } from '../support/sidecar-stack';
import { startSimulatedGpu, type SimulatedGpu } from '../support/simulated-gpu';
import { startThrottledLink, type ThrottledLink } from '../support/throttled-link';
import { spawnWorker, type WorkerChild } from '../support/worker-child';
import { RelayClient, userToken } from './relay-harness';

const UP_BYTES_PER_S = 256 * 1024;
const QUEUE_BYTES = 2 * 1024 * 1024;

let stack: Stack;
let gpu: SimulatedGpu;
let link: ThrottledLink;
let worker: WorkerChild;
let alice: Attendee;
const children: ChildProcess[] = [];

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const pngsIn = async (dir: string) =>
  (await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []))
    .filter((e) => e.isFile() && e.name.endsWith('.png'))
    .map((e) => join(e.parentPath, e.name));

/** Noise barely compresses: a 1024×768 RGB PNG of it is about 2.3 MB. */
function noisePng(): Buffer {
  const image = blankImage(1024, 768);
  const random = prng(42);
  for (let i = 0; i < image.data.length; i++) image.data[i] = random();
  return encodePng(image);
}

beforeAll(async () => {
  stack = await startStack({
    relayEnv: { INFERENCE_MODE: 'workers', WORKER_LEASE_MS: '2000', LOG_LEVEL: 'silent' },
  });
  gpu = await startSimulatedGpu({ stepMs: 20 });
  link = await startThrottledLink(stack.relayPort, {
    upBytesPerS: UP_BYTES_PER_S,
    queueBytes: QUEUE_BYTES,
  });
  worker = spawnWorker(
    {
      RELAY_URL: link.url,
      WORKER_TOKEN: mintWorkerToken(RELAY_SECRET, 'slow-box'),
      COMFYUI_URL: gpu.url,
    },
    children,
  );
  await until(
    () => stack.relay.parts.workers.list().some((w) => w.state === 'ready'),
    60_000,
    'the worker connected through the slow link',
  );
  alice = await stack.attendee('user001');
}, 120_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await link?.close();
  await stack?.close();
  await gpu?.close();
});

it('delivers a big output over a throttled uplink, once, byte-identical, without losing the job', async () => {
  const input = noisePng();
  await mkdir(alice.dirs.input, { recursive: true });
  await writeFile(join(alice.dirs.input, 'noise.png'), input);
  const response = await fetch(`${alice.url}/api/prompt`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: alice.url },
    body: JSON.stringify({
      client_id: 'tab-alice',
      prompt: {
        '1': { class_type: 'LoadImage', inputs: { image: 'noise.png' } },
        '2': {
          class_type: 'SaveImage',
          inputs: { images: ['1', 0], filename_prefix: 'slow/noise' },
        },
      },
    }),
  });
  const body = (await response.json()) as { prompt_id: string };
  expect(response.status, JSON.stringify(body)).toBe(200);
  const id = body.prompt_id;

  // Watch the relay's view of the worker while the upload crawls: it must never lose it.
  const seen = new Set<string>();
  const watch = setInterval(() => {
    for (const w of stack.relay.parts.workers.list()) seen.add(w.state);
  }, 50);
  const client = new RelayClient(stack.relayUrl, userToken(alice.userId));
  const job = await client
    .waitFor(id, (j) => j.state === 'done' || j.state === 'failed', 150_000)
    .finally(() => clearInterval(watch));
  expect(job.state, JSON.stringify(job.error)).toBe('done');
  expect(job.backend).toBe('worker:slow-box');
  expect([...seen]).toEqual(['ready']);
  expect(worker.log()).not.toContain('relay connection closed');
  expect(gpu.simulator.replicas[0]!.context.counter.number).toBe(1); // submitted once

  // The GPU's own file, as its ComfyUI serves it.
  const history = (await (await fetch(`${gpu.url}/history/${id}`)).json()) as Record<
    string,
    { outputs: Record<string, { images?: { filename: string; subfolder: string }[] }> }
  >;
  const item = history[id]!.outputs['2']!.images![0]!;
  const query = new URLSearchParams({ ...item, type: 'output' });
  const original = Buffer.from(await (await fetch(`${gpu.url}/view?${query}`)).arrayBuffer());
  // Big enough that its upload outlasts the socket's silence allowance on this link.
  expect(original.length).toBeGreaterThan(QUEUE_BYTES);
  expect((original.length / UP_BYTES_PER_S) * 1000).toBeGreaterThan(8_000);
  expect(link.bytesUp).toBeGreaterThan(original.length);

  const stored = await pngsIn(join(stack.root, 'relay/outputs', alice.userId, 'slow'));
  expect(stored).toHaveLength(1);
  expect(sha(await readFile(stored[0]!))).toBe(sha(original));
  const local = await eventually(
    async () => {
      const files = await pngsIn(join(alice.dirs.output, 'slow'));
      return files.length > 0 && files;
    },
    30_000,
    "the output in the attendee's folder",
  );
  expect(local).toHaveLength(1);
  expect(sha(await readFile(local[0]!))).toBe(sha(original));
  expect(await pngsIn(stack.relay.parts.config.workers.uploadDir)).toEqual([]);
}, 200_000);
