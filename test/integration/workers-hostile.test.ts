/**
 * A hostile (or broken) pull worker, spoken by hand over the real worker socket of a real relay:
 * its `executed` names files that would leave the job's folders (`..`, absolute). The relay
 * refuses to take them: the job fails with a message saying so, and nothing is written outside
 * the user's output folder (nor anywhere in it).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { RelayToWorker, workerPaths, WORKER_PROTOCOL } from '../../protocol/src/index';
import { until } from '../../kit/until';
import { mintWorkerToken } from '../../kit/worker-token';
import { startStack, type Stack, RELAY_SECRET } from '../support/sidecar-stack';
import { RelayClient, userToken } from './relay-harness';

let stack: Stack;
let outside: string;
let ws: WebSocket;
/** What the fake worker answers to each `run`: the output item its `executed` names. */
let evilItem: Record<string, string> = {};

beforeAll(async () => {
  stack = await startStack({ relayEnv: { INFERENCE_MODE: 'workers', LOG_LEVEL: 'silent' } });
  outside = await mkdtemp(join(tmpdir(), 'comfyume-outside-'));
  ws = new WebSocket(`${stack.relayUrl.replace('http', 'ws')}${workerPaths.socket}`, {
    headers: { authorization: `Bearer ${mintWorkerToken(RELAY_SECRET, 'hostile')}` },
  });
  const send = (message: unknown) => ws.send(JSON.stringify(message));
  ws.on('message', (raw) => {
    const message = RelayToWorker.parse(JSON.parse(raw.toString()));
    if (message.type === 'read')
      return send({ type: 'read_result', id: message.id, status: 200, body: {} });
    if (message.type !== 'run') return;
    const { jobId, attempt } = message;
    const comfy = (type: string, data: Record<string, unknown>) => ({
      kind: 'comfy',
      message: { type, data: { ...data, prompt_id: jobId } },
    });
    [
      { kind: 'submitted' },
      comfy('execution_start', { timestamp: Date.now() }),
      comfy('executing', { node: '2', display_node: '2' }),
      comfy('executed', { node: '2', display_node: '2', output: { images: [evilItem] } }),
      comfy('execution_success', { timestamp: Date.now() }),
    ].forEach((event, seq) => send({ type: 'job', jobId, attempt, seq, event }));
  });
  await new Promise((resolve) => ws.once('open', resolve));
  send({
    type: 'hello',
    protocol: WORKER_PROTOCOL,
    capacity: 1,
    nodes: ['EmptyImage', 'SaveImage'],
    holding: [],
  });
  await until(
    () => stack.relay.parts.workers.list().some((w) => w.state === 'ready'),
    20_000,
    'the hand-spoken worker joined',
  );
}, 60_000);

afterAll(async () => {
  ws?.terminate();
  await stack?.close();
  await rm(outside, { recursive: true, force: true });
});

const image = {
  '1': { class_type: 'EmptyImage', inputs: { width: 8, height: 8, batch_size: 1, color: 1 } },
  '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'h/x' } },
};

describe("a worker's executed naming files outside the job's folders", () => {
  it.each([
    [
      'a climbing subfolder',
      () => ({ subfolder: `../../../../../..${outside}`, filename: 'e.png' }),
    ],
    ['an absolute subfolder', () => ({ subfolder: outside, filename: 'e.png' })],
    ['a climbing file name', () => ({ subfolder: '', filename: '../../../e.png' })],
  ])('%s: the job fails saying so, nothing is written', async (_what, item) => {
    evilItem = { ...item(), type: 'output' };
    const alice = new RelayClient(stack.relayUrl, userToken('user001'));
    const id = randomUUID();
    const submitted = await alice.call('POST', '/api/jobs', {
      jobId: id,
      clientId: 'tab-1',
      prompt: image,
    });
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(201);
    const job = await alice.waitFor(id, (j) => j.state === 'done' || j.state === 'failed', 30_000);
    expect(job.state).toBe('failed');
    expect(job.error?.exceptionMessage).toMatch(/would leave the job's upload folder/);
    expect(await readdir(outside)).toEqual([]);
    const store = join(stack.root, 'relay/outputs');
    const written = (
      await readdir(store, { recursive: true, withFileTypes: true }).catch(() => [])
    ).filter((e) => e.isFile() && e.name.endsWith('.png'));
    expect(written).toEqual([]);
  });
});
