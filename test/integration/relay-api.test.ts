/**
 * The relay's REST + WS surface in simulated mode (the default GPU): per-user isolation on every
 * endpoint and the event stream, input limits and path escapes refused with clear codes, every
 * output type served with /view's checks and Range, events resumed after `since`, health, and
 * secrets kept out of the logs.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../relay/src/logger';
import { startRedis, type TestRedis } from '../../kit/redis-server';
import { startSimulatedGpu, type SimulatedGpu } from '../support/simulated-gpu';
import {
  ADMIN,
  EventCollector,
  finished,
  fixturePrompt,
  RelayClient,
  SECRET,
  startHarness,
  userToken,
  type Harness,
} from './relay-harness';

let redis: TestRedis;
let harness: Harness;
let gpu: SimulatedGpu | undefined;
let logText = '';
let aliceJob: string;
let aliceImage: { filename: string; subfolder: string; type: string };
let scratch: string;
const alice = () => new RelayClient(harness.url, userToken('alice'));
const bob = () => new RelayClient(harness.url, userToken('bob'));
const admin = () => new RelayClient(harness.url, ADMIN);

beforeAll(async () => {
  redis = await startRedis();
  scratch = await mkdtemp(join(tmpdir(), 'comfyume-api-'));
  const capture = new Writable({
    write(chunk, _enc, done) {
      logText += chunk.toString();
      done();
    },
  });
  const logger = createLogger('debug', capture);
  // The simulated GPU logs where the relay does, as when the relay started it in-process.
  gpu = await startSimulatedGpu({ stepMs: 5, logger: logger.child({ mod: 'simulator' }) });
  harness = await startHarness(redis, {
    env: {
      ...gpu.env,
      RELAY_MAX_BODY_MB: '0.05',
      RELAY_MAX_NODES: '20',
      SERVERLESS_API_KEY: 'sk-live-should-never-be-logged',
    },
    logger,
  });
  const prompt = await fixturePrompt('api-workflow-emptyimage-two-outputs.json');
  (prompt['2'] as { inputs: Record<string, unknown> }).inputs.filename_prefix = 'set/pic';
  const res = await alice().submit(prompt);
  expect(res.status).toBe(201);
  aliceJob = res.body.job.id;
  const job = await alice().waitFor(aliceJob, finished);
  expect(job.state).toBe('done');
  aliceImage = (job.outputs['2']!.images as (typeof aliceImage)[])[0]!;
});
afterAll(async () => {
  await harness?.close();
  await gpu?.close();
  await redis?.stop();
  await rm(scratch, { recursive: true, force: true });
});

describe('relay API', () => {
  it('stores outputs under the user with ComfyUI names, previews as temp', async () => {
    const job = await alice().job(aliceJob);
    expect(aliceImage).toEqual({ filename: 'pic_00001_.png', subfolder: 'set', type: 'output' });
    const preview = (job.outputs['3']!.images as { filename: string; type: string }[])[0]!;
    expect(preview.type).toBe('temp');
    expect(preview.filename).toMatch(/^ComfyUI_temp_[a-z]{5}_00001_\.png$/);
    const view = await alice().call('GET', `/api/view?filename=${preview.filename}&type=temp`);
    expect(view.status).toBe(200);
  });

  it('refuses missing and bad tokens on every endpoint', async () => {
    const paths: [string, string][] = [
      ['POST', '/api/jobs'],
      ['GET', '/api/jobs'],
      ['GET', `/api/jobs/${aliceJob}`],
      ['DELETE', `/api/jobs/${aliceJob}`],
      ['PATCH', `/api/jobs/${aliceJob}/priority`],
      ['PUT', `/api/inputs/${'0'.repeat(64)}`],
      ['GET', '/api/view?filename=x.png'],
      ['GET', '/api/object_info'],
      ['GET', '/api/queue/status'],
    ];
    for (const token of ['', 'alice.bm90LXRoZS1yaWdodC1zaWc', `${userToken('alice')}x`]) {
      const c = new RelayClient(harness.url, token);
      for (const [method, path] of paths) {
        const res = await c.call(
          method,
          path,
          method === 'GET' || method === 'DELETE' ? undefined : {},
        );
        expect(res.status, `${method} ${path} with "${token}"`).toBe(401);
        expect(res.body.error.code).toBe('unauthorized');
      }
    }
    await expect(new EventCollector(harness.url, 'nope').opened).rejects.toThrow(/401/);
  });

  it("never lets one user reach another user's jobs, outputs, inputs or events", async () => {
    const b = bob();
    expect((await b.call('GET', `/api/jobs/${aliceJob}`)).status).toBe(404);
    expect((await b.call('DELETE', `/api/jobs/${aliceJob}`)).status).toBe(404);
    expect(
      (await b.call('PATCH', `/api/jobs/${aliceJob}/priority`, { lane: 'priority' })).status,
    ).toBe(403);
    const list = await b.call('GET', '/api/jobs?user=alice');
    expect(list.body.jobs.map((j: { userId: string }) => j.userId)).not.toContain('alice');
    const view = await b.call(
      'GET',
      `/api/view?filename=${aliceImage.filename}&subfolder=${aliceImage.subfolder}&type=output`,
    );
    expect(view.status).toBe(404);
    expect(
      (
        await b.call(
          'GET',
          `/api/view?filename=${aliceImage.filename}&subfolder=../alice/${aliceImage.subfolder}`,
        )
      ).body.error.code,
    ).toBe('path_escape');
    // alice's input, referenced by bob, is not his
    const bytes = Buffer.from('not really a png');
    const sha = createHash('sha256').update(bytes).digest('hex');
    expect(
      (
        await alice().call('PUT', `/api/inputs/${sha}`, bytes, {
          'content-type': 'application/octet-stream',
        })
      ).status,
    ).toBe(204);
    const loader = {
      '1': { class_type: 'LoadImage', inputs: { image: 'cat.png' } },
      '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'x' } },
    };
    const stolen = await b.submit(loader, { inputs: [{ path: 'cat.png', sha256: sha }] });
    expect(stolen.status).toBe(400);
    expect(stolen.body.error.message).toMatch(/was not uploaded/);
    // events: bob's socket sees nothing of alice's; admin sees both
    const bobEvents = new EventCollector(harness.url, userToken('bob'), '0-0');
    const adminEvents = new EventCollector(harness.url, ADMIN, '0-0');
    await Promise.all([bobEvents.opened, adminEvents.opened]);
    await adminEvents.waitFor((events) =>
      events.some((e) => e.type === 'comfy' && e.jobId === aliceJob),
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(bobEvents.events).toEqual([]);
    expect((await admin().call('GET', `/api/jobs/${aliceJob}`)).status).toBe(200);
    bobEvents.close();
    adminEvents.close();
  });

  it('refuses oversized, malformed and escaping input with clear codes', async () => {
    const a = alice();
    const big = await a.submit({
      '1': { class_type: 'EmptyImage', inputs: { pad: 'x'.repeat(60_000) } },
    });
    expect([big.status, big.body.error.code]).toEqual([413, 'body_too_large']);
    const bad = await a.call('POST', '/api/jobs', '{"jobId": ', {
      'content-type': 'application/json',
    });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'invalid_json']);
    const many = Object.fromEntries(
      Array.from({ length: 21 }, (_, i) => [
        String(i + 1),
        { class_type: 'EmptyImage', inputs: {} },
      ]),
    );
    const tooMany = await a.submit(many);
    expect([tooMany.status, tooMany.body.error.code]).toEqual([400, 'too_many_nodes']);
    for (const prefix of ['../escape', '/etc/passwd', 'a/../../b']) {
      const res = await a.submit({
        '1': { class_type: 'EmptyImage', inputs: {} },
        '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: prefix } },
      });
      expect([res.status, res.body.error.code], prefix).toEqual([400, 'path_escape']);
      expect(res.body.error.message).toContain(prefix);
    }
    const notUuid = await a.call('POST', '/api/jobs', {
      jobId: 'job-1',
      prompt: { '1': { class_type: 'X', inputs: {} } },
    });
    expect([notUuid.status, notUuid.body.error.code]).toEqual([400, 'bad_request']);
    expect(notUuid.body.error.message).toMatch(/jobId/);
    for (const q of [
      'filename=../x.png',
      'filename=/etc/passwd',
      'filename=x.png&subfolder=/etc',
      'filename=x.png&subfolder=../bob',
    ]) {
      const res = await a.call('GET', `/api/view?${q}`);
      expect([res.status, res.body.error.code], q).toEqual([400, 'path_escape']);
    }
    expect((await a.call('GET', '/api/view?filename=x.png&type=input')).body.error.code).toBe(
      'bad_request',
    );
    expect((await a.call('GET', '/api/nope')).body.error.code).toBe('not_found');
  });

  it('serves every output type from the user store with nosniff and Range', async () => {
    const kinds = [
      ['clip', '.mp4', 'video/mp4', 'videos'],
      ['sound', '.wav', 'audio/wav', 'audio'],
      ['anim', '.webp', 'image/webp', 'images'],
      ['notes', '.txt', 'text/plain; charset=utf-8', 'text'],
      ['page', '.html', 'application/octet-stream', 'files'],
    ] as const;
    for (const [stem, ext, mime, key] of kinds) {
      const source = join(scratch, `src${ext}`);
      await writeFile(source, Buffer.from(`${stem} bytes 0123456789`));
      const item = await harness.relay.parts.outputs.store('alice', randomUUID(), {
        nodeId: '9',
        key,
        type: 'output',
        originalPrefix: `media/${stem}`,
        source: { path: source },
        extension: ext,
      });
      expect(item).toEqual({
        filename: `${stem}_00001_${ext}`,
        subfolder: 'media',
        type: 'output',
      });
      const res = await fetch(`${harness.url}/api/view?filename=${item.filename}&subfolder=media`, {
        headers: { authorization: `Bearer ${userToken('alice')}`, range: 'bytes=0-4' },
      });
      expect(res.status).toBe(206);
      expect(res.headers.get('content-type')).toBe(mime);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await res.text()).toBe(stem.slice(0, 5).padEnd(5, ' '));
      if (ext === '.html') expect(res.headers.get('content-disposition')).toMatch(/^attachment/);
    }
  });

  it('resumes the event stream after a reconnect with since, without gaps or repeats', async () => {
    const prompt = await fixturePrompt('api-workflow-emptyimage-two-outputs.json');
    const first = new EventCollector(harness.url, userToken('carol'));
    await first.opened;
    const j1 = (await new RelayClient(harness.url, userToken('carol')).submit(prompt)).body.job
      .id as string;
    await first.waitFor(() =>
      first.comfy(j1).some((m) => m.type === 'executing' && m.data.node === null),
    );
    // The GPU's last message comes before the record is finished: wait for that too, so j2 starts from an idle GPU.
    await first.waitFor((all) =>
      all.some((e) => e.type === 'job' && e.job.id === j1 && e.job.state === 'done'),
    );
    const lastSeen = first.events.at(-1)!.id;
    first.close();
    const j2 = (await new RelayClient(harness.url, userToken('carol')).submit(prompt)).body.job
      .id as string;
    await new RelayClient(harness.url, userToken('carol')).waitFor(j2, finished);
    const again = new EventCollector(harness.url, userToken('carol'), lastSeen);
    await again.waitFor(() =>
      again.comfy(j2).some((m) => m.type === 'executing' && m.data.node === null),
    );
    expect(again.events.some((e) => e.type === 'comfy' && e.jobId === j1)).toBe(false);
    const ids = again.events.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(again.comfy(j2).map((m) => m.type)).toContain('execution_start');
    expect(
      again.events
        .filter((e) => e.type === 'job' && e.job.id === j2)
        .map((e) => e.type === 'job' && e.job.state),
    ).toContain('queued');
    again.close();
  });

  it('reports health and queue status', async () => {
    const health = await fetch(`${harness.url}/health`).then(
      (r) => r.json() as Promise<{ backends: unknown[] }>,
    );
    expect(health).toMatchObject({
      ok: true,
      redis: 'up',
      inferenceMode: 'simulated',
      queueDepth: 0,
    });
    expect(health.backends[0]).toMatchObject({ kind: 'simulated', state: 'ready', capacity: 1 });
    const status = await alice().call('GET', '/api/queue/status');
    expect(status.body).toMatchObject({ queued: 0, running: 0 });
    expect(status.body.typicalRunMs).toBeGreaterThan(0);
    const info = await alice().call('GET', '/api/object_info');
    expect(Object.keys(info.body)).toContain('KSampler');
  });

  it('keeps secrets and tokens out of the logs', () => {
    expect(logText.length).toBeGreaterThan(1000);
    for (const secret of [
      SECRET,
      ADMIN,
      userToken('alice'),
      userToken('bob'),
      'sk-live-should-never-be-logged',
    ])
      expect(logText).not.toContain(secret);
    expect(logText).toContain(aliceJob); // job ids are logged
  });
});
