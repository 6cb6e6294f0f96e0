/**
 * The operator dashboard end to end: the Vite build served by createAdminStatic in front of a REAL
 * relay (simulated GPU, real Redis) built by createRelay with its own wiring (admin static +
 * /metrics before the API, the token subprotocol adopted in the upgrade handler), driven in
 * headless Chromium. Jobs submitted with user tokens appear live; the operator prioritizes and
 * cancels from the page; failures show their node; a stopped relay shows "Relay unreachable".
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import type { Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobView } from '../../protocol/src/index';
import { launchBrowser, type Browser } from '../e2e/support/browser';
import { startRedis, type TestRedis } from '../../kit/redis-server';
import { startSimulatedGpu, type SimulatedGpu } from '../support/simulated-gpu';
import {
  ADMIN,
  fixturePrompt,
  RelayClient,
  startHarness,
  userToken,
  type Harness,
} from './relay-harness';

const repo = resolve(import.meta.dirname, '../..');
const screens = '/work/screens';

let redis: TestRedis;
let gpu: SimulatedGpu | undefined;
let harness: Harness | undefined;
let browser: Browser;
let page: Page;
let distDir: string;
let scratch: string;
let url: string;
let txt2img: Record<string, unknown>;
let emptyImage: Record<string, unknown>;
const ids: Record<'long' | 'bob' | 'carol' | 'carolFail' | 'dave', string> = {
  long: '',
  bob: '',
  carol: '',
  carolFail: '',
  dave: '',
};

const client = (user: string) => new RelayClient(url, userToken(user));
const admin = () => new RelayClient(url, ADMIN);

/** txt2img with its own seed (the simulator caches identical nodes) and `steps` sampler steps. */
function sampler(steps: number): Record<string, unknown> {
  const prompt = structuredClone(txt2img) as Record<string, { inputs: Record<string, unknown> }>;
  prompt['3']!.inputs.steps = steps;
  prompt['3']!.inputs.seed = Math.floor(Math.random() * 1e9);
  return prompt;
}

/** EmptyImage → ImageInvert (made to fail by the simulator) → SaveImage. */
function failing(): Record<string, unknown> {
  const prompt = structuredClone(emptyImage) as Record<
    string,
    { class_type: string; inputs: Record<string, unknown> }
  >;
  prompt['1']!.inputs.color = Math.floor(Math.random() * 0xffffff);
  prompt['4'] = { class_type: 'ImageInvert', inputs: { image: ['1', 0] } };
  prompt['2']!.inputs.images = ['4', 0];
  delete prompt['3'];
  return prompt;
}

async function submit(user: string, prompt: Record<string, unknown>): Promise<string> {
  const res = await client(user).submit(prompt, { jobId: randomUUID() });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return JobView.parse(res.body.job).id;
}

const row = (id: string) => page.locator(`admin-jobs tr[data-job="${id}"]`);

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(screens, `admin-${name}.png`), fullPage: true });
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'comfyume-admin-'));
  distDir = join(scratch, 'dist');
  await build({
    configFile: join(repo, 'admin-ui/vite.config.ts'),
    logLevel: 'error',
    build: { outDir: distDir, emptyOutDir: true },
  });
  await mkdir(screens, { recursive: true });
  txt2img = await fixturePrompt('api-workflow-txt2img.json');
  emptyImage = await fixturePrompt('api-workflow-emptyimage-two-outputs.json');

  redis = await startRedis();
  gpu = await startSimulatedGpu({ stepMs: 150, failures: { failNodeTypes: ['ImageInvert'] } });
  const env = { ...gpu.env, COMFYUI_GPU_CAPACITY: '1' };
  const logger = pino({ level: 'silent' });
  // The relay's own wiring (relay/src/app.ts): /admin/ and /metrics (operator token) before the API, the browser's
  // token subprotocol adopted before the event hub authenticates.
  harness = await startHarness(redis, { env, logger, adminDistDir: distDir });
  url = harness.url;

  browser = await launchBrowser();
  page = await browser.newPage();
  await page.setViewportSize({ width: 1500, height: 1000 });
});

afterAll(async () => {
  await browser?.close();
  await harness?.close();
  await gpu?.close();
  await redis?.stop();
  await rm(scratch, { recursive: true, force: true });
});

describe('admin dashboard', () => {
  it('is served under /admin/ with cache headers, next to the untouched API', async () => {
    const bare = await fetch(`${url}/admin`, { redirect: 'manual' });
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toBe('admin/');
    const index = await fetch(`${url}/admin/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(index.headers.get('content-security-policy')).toContain("connect-src 'self'");
    const html = await index.text();
    const asset = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const js = await fetch(`${url}/admin/${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect((await fetch(`${url}/admin/assets/nope.js`)).status).toBe(404);
    expect((await fetch(`${url}/api/queue/status`)).status).toBe(401);
    expect((await admin().call('GET', '/api/queue/status')).status).toBe(200);
  });

  it('asks for the operator token, refuses a wrong one, then shows an empty, live relay', async () => {
    await page.goto(`${url}/admin/`);
    await page.locator('admin-login input').fill('not-the-admin-token');
    await shot('login');
    await page.locator('admin-login button[type=submit]').click();
    await expect
      .poll(() => page.locator('admin-login [role=alert]').textContent(), { timeout: 20_000 })
      .toContain('refused');
    await page.locator('admin-login input').fill(ADMIN);
    await page.locator('admin-login button[type=submit]').click();
    await page.locator('[data-connection="live"]').waitFor({ timeout: 30_000 });
    await page.locator('admin-jobs .empty').waitFor();
    expect(await page.locator('admin-jobs .empty').textContent()).toContain(
      'Nothing queued or running',
    );
    expect(await page.locator('admin-users .empty').textContent()).toContain(
      'No users have submitted jobs yet',
    );
    expect(await page.locator('admin-backends li').count()).toBe(1);
    expect(await page.locator('admin-backends .badge').textContent()).toContain('Ready');
    await shot('empty');
  });

  it('shows jobs from every user live, and the operator prioritizes and cancels them', async () => {
    ids.long = await submit('user001', sampler(400));
    await client('user001').waitFor(ids.long, (j) => j.state === 'running', 60_000);
    ids.bob = await submit('user002', sampler(12));
    ids.carol = await submit('user003', sampler(12));
    ids.carolFail = await submit('user003', failing());
    ids.dave = await submit('user004', emptyImage);

    // Live: no reload, the rows arrive over the event socket.
    for (const id of Object.values(ids)) await row(id).waitFor({ timeout: 30_000 });
    await expect
      .poll(() => row(ids.long).getAttribute('data-state'), { timeout: 30_000 })
      .toBe('running');
    expect(await row(ids.bob).getAttribute('data-state')).toBe('queued');
    await expect
      .poll(() => page.locator('admin-overview [data-tile=queued] .value').textContent(), {
        timeout: 20_000,
      })
      .toBe('4');
    expect(await page.locator('admin-users tr[data-user]').count()).toBe(4);
    // Sampler steps of the running job arrive as ComfyUI progress frames on the admin socket.
    await expect
      .poll(() => row(ids.long).locator('.detail').textContent(), { timeout: 30_000 })
      .toMatch(/step \d+\/400/);

    // Priority lane: the operator moves carol's second job to the front.
    await row(ids.carolFail).locator('button[data-action=priority]').click();
    await row(ids.carolFail).locator('.lane').waitFor({ timeout: 20_000 });
    await expect
      .poll(() => row(ids.carolFail).locator('.detail').textContent(), { timeout: 20_000 })
      .toContain('#1 of');
    expect((await admin().call('GET', `/api/jobs/${ids.carolFail}`)).body.job.lane).toBe(
      'priority',
    );

    // Cancel asks for a second click, then the queued job is gone from the queue.
    const cancelBob = row(ids.bob).locator('button[data-action=cancel]');
    await cancelBob.click();
    expect((await cancelBob.textContent())?.trim()).toBe('Confirm cancel');
    await shot('live');
    await cancelBob.click();
    await expect
      .poll(async () => (await admin().call('GET', `/api/jobs/${ids.bob}`)).body.job.state, {
        timeout: 20_000,
      })
      .toBe('cancelled');
    await row(ids.bob).waitFor({ state: 'detached', timeout: 20_000 });
    await page.locator('[data-notice]').waitFor();
    expect(await page.locator('[data-notice]').textContent()).toContain('user002');
  });

  it('interrupts a running job from the page and reports failures with their node', async () => {
    const cancelLong = row(ids.long).locator('button[data-action=cancel]');
    await cancelLong.click();
    await cancelLong.click();
    await expect
      .poll(async () => (await admin().call('GET', `/api/jobs/${ids.long}`)).body.job.state, {
        timeout: 60_000,
      })
      .toBe('cancelled');
    for (const id of [ids.carolFail, ids.carol, ids.dave])
      await client(id === ids.dave ? 'user004' : 'user003').waitFor(
        id,
        (j) => ['done', 'failed', 'cancelled'].includes(j.state),
        90_000,
      );

    const failure = page.locator(`admin-failures li[data-job="${ids.carolFail}"]`);
    await failure.waitFor({ timeout: 30_000 });
    // The relay names the node in its message ("GPU error in node 4 (ImageInvert): …"), one owner for that wording.
    expect(await failure.textContent()).toMatch(/node 4 \(ImageInvert\)/);
    expect(await failure.textContent()).toContain('user003');
    await page.locator('admin-jobs .empty').waitFor({ timeout: 30_000 });
    await expect
      .poll(() => page.locator('admin-overview [data-tile=failed] .value').textContent(), {
        timeout: 20_000,
      })
      .toBe('1');
    await expect
      .poll(() => page.locator('admin-overview [data-tile=done] .value').textContent(), {
        timeout: 20_000,
      })
      .toBe('2');

    const carol = page.locator('admin-users tr[data-user="user003"] td');
    await expect
      .poll(async () => (await carol.allTextContents()).map((t) => t.trim()).slice(1, 5), {
        timeout: 20_000,
      })
      .toEqual(['0', '0', '1', '1']);
    // Clicking a user filters the job list to them.
    await page.locator('admin-jobs button[data-view=all]').click();
    await page.locator('admin-users tr[data-user="user003"]').click();
    await expect
      .poll(() => page.locator('admin-jobs tbody tr').count(), { timeout: 10_000 })
      .toBe(2);
    await page.locator('admin-users tr[data-user="user003"]').click();
    await expect
      .poll(() => page.locator('admin-jobs tbody tr').count(), { timeout: 10_000 })
      .toBe(5);
    await shot('after');
  });

  it('exposes Prometheus metrics on the same server, to the operator token only', async () => {
    expect((await fetch(`${url}/metrics`)).status).toBe(401);
    const text = await (
      await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } })
    ).text();
    expect(text).toMatch(/^comfyume_relay_queue_depth\{relay="relay-[0-9a-f]+"\} 0$/m);
    expect(text).toMatch(
      /^comfyume_relay_backend_state\{backend="simulated:\d+",state="ready",relay="relay-[0-9a-f]+"\} 1$/m,
    );
    expect(text).toContain('process_resident_memory_bytes');
    // The relay's own observe hooks counted what this suite did: submits, a failure, a cancel.
    // Summed over every series (submissions are labelled per user, outcomes per backend).
    const count = (pattern: RegExp) =>
      [...text.matchAll(new RegExp(pattern.source, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);
    expect(count(/^comfyume_relay_jobs_submitted_total\{[^}]*\} (\d+)$/m)).toBeGreaterThanOrEqual(
      5,
    );
    expect(
      count(/^comfyume_relay_jobs_finished_total\{state="failed"[^}]*\} (\d+)$/m),
    ).toBeGreaterThanOrEqual(1);
    expect(
      count(/^comfyume_relay_jobs_finished_total\{state="cancelled"[^}]*\} (\d+)$/m),
    ).toBeGreaterThanOrEqual(1);
  });

  it('says "Relay unreachable — retrying" when the relay goes away', async () => {
    await harness!.close();
    harness = undefined;
    await page.locator('[data-alert="unreachable"]').waitFor({ timeout: 60_000 });
    expect(await page.locator('[data-alert="unreachable"]').textContent()).toContain(
      'Relay unreachable — retrying',
    );
    expect(await page.locator('[data-connection]').getAttribute('data-connection')).toBe(
      'unreachable',
    );
    // What it knew stays on screen.
    expect(await page.locator('admin-users tr[data-user]').count()).toBe(4);
    await shot('unreachable');
    const errors = browser.errors.filter(
      (e) => !/Failed to load resource|ERR_CONNECTION_REFUSED|WebSocket connection/.test(e),
    );
    expect(errors).toEqual([]);
  });
});
