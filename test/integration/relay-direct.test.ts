/**
 * Direct mode against the simulator: real per-step progress and type-4 previews forwarded with
 * the job id as prompt_id, outputs stored per user before `executed`, served by /api/view.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBinaryFrame } from '../../protocol/src/index';
import { startSimulator } from '../../simulator/src/app';
import { startRedis, type TestRedis } from '../../kit/redis-server';
import {
  EventCollector,
  finished,
  fixturePrompt,
  RelayClient,
  startHarness,
  userToken,
  type Harness,
} from './relay-harness';

let redis: TestRedis;
let sim: Awaited<ReturnType<typeof startSimulator>>;
let simDir: string;
let harness: Harness;

beforeAll(async () => {
  redis = await startRedis();
  simDir = await mkdtemp(join(tmpdir(), 'comfyume-sim-'));
  sim = await startSimulator({
    port: 0,
    outputDir: join(simDir, 'out'),
    inputDir: join(simDir, 'in'),
    tempDir: join(simDir, 'tmp'),
    stepMs: 15,
    previewMethod: 'auto',
  });
  harness = await startHarness(redis, {
    env: { INFERENCE_MODE: 'direct', COMFYUI_GPU_URLS: sim.url },
  });
});
afterAll(async () => {
  await harness?.close();
  await sim?.close();
  await redis?.stop();
  await rm(simDir, { recursive: true, force: true });
});

describe('relay direct backend', () => {
  it('forwards real progress, previews and executed outputs stored in the user store', async () => {
    const alice = new RelayClient(harness.url, userToken('alice'));
    const events = new EventCollector(harness.url, userToken('alice'));
    await events.opened;
    const prompt = await fixturePrompt('api-workflow-txt2img.json');
    (prompt['9'] as { inputs: Record<string, unknown> }).inputs.filename_prefix = 'renders/cat';
    const t0 = Date.now();
    const submitted = await alice.submit(prompt, { extraData: { preview_method: 'auto' } });
    expect(submitted.status).toBe(201);
    const id = submitted.body.job.id as string;
    const job = await alice.waitFor(id, finished);
    expect(job.state).toBe('done');
    await events.waitFor(() =>
      events.comfy(id).some((m) => m.type === 'executing' && m.data.node === null),
    );
    const messages = events.comfy(id);
    const types = messages.map((m) => m.type);
    expect(types[0]).toBe('execution_start');
    expect(types).toContain('execution_cached');
    expect(types.indexOf('execution_success')).toBeGreaterThan(types.indexOf('executed'));
    expect(messages.every((m) => m.data.prompt_id === id)).toBe(true);
    const progress = messages.filter((m) => m.type === 'progress');
    expect(progress.length).toBe(20);
    expect(progress.map((m) => m.data.value)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(progress.every((m) => m.data.node === '3')).toBe(true);
    expect(messages.some((m) => m.type === 'progress_state')).toBe(true);
    const previews = events.binary
      .map((b) => decodeBinaryFrame(b))
      .filter((f) => f.kind === 'preview_with_metadata');
    expect(previews.length).toBeGreaterThan(0);
    for (const p of previews)
      if (p.kind === 'preview_with_metadata')
        expect(p.meta).toMatchObject({ prompt_id: id, node_id: '3' });

    const executed = messages.find((m) => m.type === 'executed' && m.data.node === '9');
    const image = (
      executed?.data.output as { images: { filename: string; subfolder: string; type: string }[] }
    ).images[0]!;
    expect(image).toMatchObject({
      filename: 'cat_00001_.png',
      subfolder: 'renders',
      type: 'output',
    });
    expect(job.outputs['9']).toEqual(executed?.data.output);
    const view = await fetch(
      `${harness.url}/api/view?filename=${image.filename}&subfolder=${image.subfolder}&type=output`,
      { headers: { authorization: `Bearer ${userToken('alice')}` } },
    );
    expect(view.status).toBe(200);
    expect(view.headers.get('content-type')).toBe('image/png');
    expect(view.headers.get('x-content-type-options')).toBe('nosniff');
    const bytes = Buffer.from(await view.arrayBuffer());
    expect(bytes.subarray(1, 4).toString()).toBe('PNG');
    // Latency the platform adds: GPU wrote the output file → the user's socket got `executed` (fetched and stored first).
    const written = (
      await stat(join(simDir, 'out', 'comfyume', id, '9', 'renders', 'cat_00001_.png'))
    ).mtimeMs;
    const executedAt =
      events.receivedAt[
        events.events.findIndex(
          (e) => e.type === 'comfy' && e.message.type === 'executed' && e.message.data.node === '9',
        )
      ]!;
    expect(executedAt).toBeGreaterThanOrEqual(Math.floor(written));
    const firstEvent =
      events.receivedAt[events.events.findIndex((e) => e.type === 'comfy' && e.jobId === id)]!;
    console.log(
      `[relay-direct] GPU output written → relay 'executed' event at the client: ${Math.round(executedAt - written)} ms; submit → first comfy event: ${firstEvent - t0} ms`,
    );
    console.log(
      `[relay-direct] txt2img 20 steps: submit → done ${job.finishedAt! - t0} ms, ${progress.length} progress events, ${previews.length} previews`,
    );
    events.close();
  });
});
