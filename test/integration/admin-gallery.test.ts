/**
 * The dashboard's gallery wall and warm-up panel in headless Chromium, in front of a real relay
 * (serverless GPU that starts cold, PREWARM_SCHEDULE covering now) and real sidecars: the panel
 * shows the GPU warm with the cold start the first warm-up measured, Warm now answers, the
 * "Gallery wall" link opens the projector page, a new output appears live and the operator hides
 * one. Screenshots go to /work/screens/gallery-*.png.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type Browser } from '../e2e/support/browser';
import { txt2img } from '../e2e/support/workflows';
import { ADMIN_TOKEN, startStack, TabSocket, type Stack } from '../support/sidecar-stack';

const repo = resolve(import.meta.dirname, '../..');
const screens = '/work/screens';

let stack: Stack;
let browser: Browser;
let page: Page;
let scratch: string;

const clock = (offsetMin: number) => {
  const d = new Date(Date.now() + offsetMin * 60_000);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
};

async function run(userId: string, seed: number): Promise<void> {
  const attendee = await stack.attendee(userId);
  const tab = await TabSocket.open(attendee.url);
  const response = await fetch(`${attendee.url}/api/prompt`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: tab.sid, prompt: txt2img(2, seed), extra_data: {} }),
  });
  expect(response.status).toBe(200);
  await tab.untilEnd(((await response.json()) as { prompt_id: string }).prompt_id);
  tab.close();
}

const shot = (name: string) =>
  page.screenshot({ path: join(screens, `gallery-${name}.png`), fullPage: true });
const tiles = () => page.locator('admin-gallery li[data-item]');

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'comfyume-gallery-ui-'));
  const distDir = join(scratch, 'dist');
  await build({
    configFile: join(repo, 'admin-ui/vite.config.ts'),
    logLevel: 'error',
    build: { outDir: distDir, emptyOutDir: true },
  });
  await mkdir(screens, { recursive: true });
  stack = await startStack({
    serverless: true,
    gpu: { coldStartMs: 1500 },
    relayEnv: { PREWARM_SCHEDULE: `${clock(-60)}-${clock(60)}`, PREWARM_INTERVAL_S: '2' },
    adminDistDir: distDir,
  });
  browser = await launchBrowser();
  page = await browser.newPage();
  await page.setViewportSize({ width: 1600, height: 1000 });
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
  await rm(scratch, { recursive: true, force: true });
});

describe('dashboard: warm-up panel and gallery wall', () => {
  it('shows the GPU warm with the cold start measured, and Warm now answers', async () => {
    await page.goto(`${stack.relayUrl}/admin/`);
    await page.locator('admin-login input').fill(ADMIN_TOKEN);
    await page.locator('admin-login button[type=submit]').click();
    await page.locator('[data-connection="live"]').waitFor({ timeout: 30_000 });
    const panel = page.locator('admin-prewarm');
    await expect
      .poll(() => panel.locator('[data-warmth]').getAttribute('data-warmth'), { timeout: 30_000 })
      .toBe('warm');
    expect(await panel.locator('[data-cold-start]').textContent()).toMatch(/\d\.\d s · /);
    expect(await panel.locator('[data-plan]').textContent()).toContain('in the schedule');
    await panel.locator('button[data-action="warm-now"]').click();
    await expect
      .poll(() => panel.locator('[data-plan]').textContent(), { timeout: 10_000 })
      .toContain('(Warm now)');
    await run('user001', 11);
    await run('user002', 22);
    await shot('dashboard-prewarm');
  });

  it('opens the wall from the navigation, shows a new output live, and hides one', async () => {
    await page.locator('a[data-nav="gallery"]').click();
    await expect.poll(() => tiles().count(), { timeout: 20_000 }).toBe(2);
    await page.locator('admin-gallery li[data-item] img').first().waitFor();
    await run('user003', 33);
    await expect.poll(() => tiles().count(), { timeout: 20_000 }).toBe(3);
    expect(await tiles().first().locator('.user').textContent()).toBe('user003');
    expect(
      await tiles()
        .first()
        .locator('img')
        .evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth > 0),
    ).toBe(true);
    await shot('wall');

    await tiles().nth(1).locator('button[data-action="hide"]').click();
    await expect.poll(() => tiles().count(), { timeout: 20_000 }).toBe(2);
    expect(await tiles().locator('.user').allTextContents()).toEqual(['user003', 'user001']);
    await page.locator('admin-gallery button[data-action="show-hidden"]').click();
    await expect.poll(() => tiles().count(), { timeout: 20_000 }).toBe(3);
    await page.locator('admin-gallery li[data-hidden]').waitFor();
    await shot('wall-hidden-shown');
    await page.locator('admin-gallery button[data-action="back"]').click();
    await page.locator('admin-overview').waitFor();
  });
});
