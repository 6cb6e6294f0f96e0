/**
 * The operator's view of the GPU agent end to end: a real relay (serverless, real Redis) on
 * `simulate --replicas 3 --agent`, the dashboard's Vite build in headless Chromium. The replicas
 * panel shows each replica and the job it runs; the job's agent log opens from it; /metrics has
 * the replica gauges.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import type { Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../simulator/src/app';
import { launchBrowser, type Browser } from '../e2e/support/browser';
import { screenPath } from '../e2e/support/screens';
import { startRedis, type TestRedis } from '../../kit/redis-server';
import { ADMIN, RelayClient, startHarness, userToken, type Harness } from './relay-harness';
import { samplerPrompt } from './serverless-harness';

const repo = resolve(import.meta.dirname, '../..');
let scratch: string;
let redis: TestRedis;
let sim: RunningSimulator;
let harness: Harness;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'comfyume-agent-admin-'));
  const distDir = join(scratch, 'dist');
  await build({
    configFile: join(repo, 'admin-ui/vite.config.ts'),
    logLevel: 'error',
    build: { outDir: distDir, emptyOutDir: true },
  });
  redis = await startRedis();
  const sfs = join(scratch, 'sfs-output');
  sim = await startSimulator({
    outputDir: sfs,
    inputDir: join(scratch, 'sfs-input'),
    tempDir: join(scratch, 'gpu-temp'),
    replicas: 3,
    stepMs: 100,
    agent: { heartbeatMs: 1000 },
  });
  const env = {
    INFERENCE_MODE: 'serverless',
    SERVERLESS_ENDPOINT: sim.url,
    SFS_OUTPUT_DIR: sfs,
    SFS_POLL_MS: '100',
    SERVERLESS_CAPACITY: '3',
  };
  harness = await startHarness(redis, {
    env,
    logger: pino({ level: 'silent' }),
    adminDistDir: distDir,
  });
  browser = await launchBrowser();
  page = await browser.newPage();
  await page.setViewportSize({ width: 1500, height: 1100 });
  await page.addInitScript((token) => sessionStorage.setItem('comfyume.adminToken', token), ADMIN);
});

afterAll(async () => {
  await browser?.close();
  await harness?.close();
  await sim?.close();
  await redis?.stop();
  await rm(scratch, { recursive: true, force: true });
});

describe('admin dashboard with the GPU agent', () => {
  it('shows the replicas and the job each runs, opens its agent log, and exports replica gauges', async () => {
    const user = new RelayClient(harness.url, userToken('user001'));
    const jobId = randomUUID();
    const submitted = await user.submit(samplerPrompt(400), { jobId });
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(201);
    await user.waitFor(
      jobId,
      (job) => job.state === 'running' && (job.progress?.value ?? 0) > 2,
      60_000,
    );

    await page.goto(`${harness.url}/admin/`);
    const rows = page.locator('admin-replicas tr[data-replica]');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(3);
    const running = page.locator(`admin-replicas tr[data-job="${jobId}"]`);
    await expect.poll(() => running.count(), { timeout: 30_000 }).toBe(1);
    // The panel polls heartbeats: a beat written between `executing` and the first `progress` shows
    // the node without a step, so wait for the state rather than read the first render.
    await expect
      .poll(() => running.textContent(), { timeout: 15_000 })
      .toMatch(new RegExp(`${jobId.slice(0, 8)} · node 3 · \\d+/400`));
    await running.click();
    const log = page.locator('admin-agent-log section[data-attempt="1"] li');
    await expect.poll(() => log.count(), { timeout: 15_000 }).toBeGreaterThan(5);
    const logText = async () =>
      (await page.locator('admin-agent-log li').allInnerTexts()).join('\n');
    const text = await logText();
    expect(text).toContain('accepted');
    expect(text).toContain('execution_start');
    expect(text).toMatch(/progress\s*node 3 \d+\/400/);
    const shot = screenPath('agent-admin-replicas');
    if (shot) await page.screenshot({ path: shot, fullPage: true });

    const metrics = await (
      await fetch(`${harness.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } })
    ).text();
    expect(metrics).toMatch(/comfyume_relay_gpu_replicas\{state="live"[^}]*\} 3/);
    expect(metrics).toMatch(
      /comfyume_relay_gpu_replica_jobs\{replica="sim-gpu-\d",kind="running"[^}]*\} 1/,
    );

    // Cancelled from the operator's API: the replica's own confirmation appears in the log.
    const cancelled = await new RelayClient(harness.url, ADMIN).call(
      'DELETE',
      `/api/jobs/${jobId}`,
    );
    expect(cancelled.status).toBe(200);
    await user.waitFor(jobId, (job) => job.state === 'cancelled', 30_000);
    await page.locator('admin-replicas input[name="job"]').fill(jobId);
    await page.locator('admin-replicas form button').click();
    await expect.poll(logText, { timeout: 15_000 }).toMatch(/cancel\s*interrupted/);
    const after = screenPath('agent-admin-log-cancelled');
    if (after) await page.screenshot({ path: after, fullPage: true });

    // A job that finished beyond SFS_RETENTION_H (24 h by default) has no folder left: the log says why.
    const swept = randomUUID();
    await harness.relay.parts.store.createFinished(
      {
        id: swept,
        userId: 'user001',
        clientId: '',
        prompt: samplerPrompt(1),
        extraData: {},
        outputsToExecute: [],
        inputs: [],
      },
      'done',
      { executedNodes: [], cachedNodes: [], outputs: {} },
      Date.now() - 25 * 3_600_000,
    );
    await page.locator('admin-replicas input[name="job"]').fill(swept);
    await page.locator('admin-replicas form button').click();
    await expect
      .poll(() => page.locator('admin-agent-log [data-agent-log="removed"]').textContent(), {
        timeout: 15_000,
      })
      .toMatch(
        /journal of job \w+ was removed from the shared volume: the job finished .+ kept 24 h after the job finishes \(SFS_RETENTION_H\)/,
      );
  });
});
