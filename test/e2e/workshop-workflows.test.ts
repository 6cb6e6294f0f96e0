/**
 * The instructor's workshop in a browser, on a real stack (Redis, relay with a workflows folder,
 * simulated ComfyUI + sidecar) behind the harness page with the built extension: the default
 * workflow opens on the first visit only, the Workflows sidebar lists the templates, a published
 * workflow arrives live with the instructor toast (whose Open button opens it), and a broadcast
 * with markup is shown as text. Screenshots go to /work/screens (support/screens.ts).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startStack, type Stack } from '../support/sidecar-stack';
import { startHarness, type Harness } from '../../workshop-page/server';
import { launchBrowser, type Browser } from './support/browser';
import { ComfyPage } from './support/comfy-page';
import { screenPath } from './support/screens';
import { buildExtension } from './stack';
import { build } from 'vite';

const repo = join(import.meta.dirname, '../..');

const workflow = (titles: string[]) => ({
  last_node_id: titles.length,
  last_link_id: 0,
  nodes: titles.map((title, i) => ({
    id: i + 1,
    type: 'EmptyImage',
    title,
    pos: [100 + 360 * i, 160],
    size: [315, 130],
    flags: {},
    order: i,
    mode: 0,
    inputs: [],
    outputs: [{ name: 'IMAGE', type: 'IMAGE', links: null }],
    properties: {},
    widgets_values: [512, 512, 1, 0],
  })),
  links: [],
  groups: [],
  config: {},
  extra: {},
  version: 0.4,
});

let folder: string;
let stack: Stack;
let harness: Harness;
let browser: Browser;

const tabLabel = (comfy: ComfyPage) => comfy.page.locator('.workflow-tab.active').textContent();
const nodeTitles = (comfy: ComfyPage) =>
  comfy.page.evaluate(() =>
    (window as unknown as { app: { graph: { nodes: { title: string }[] } } }).app.graph.nodes.map(
      (n) => n.title,
    ),
  );
async function shot(comfy: ComfyPage, name: string) {
  const file = screenPath(name);
  if (file) await comfy.page.screenshot({ path: file });
}
const admin = (path: string, init: RequestInit) =>
  fetch(`${stack.relayUrl}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
  });

beforeAll(async () => {
  buildExtension();
  // The dashboard the relay serves at /admin/ (its default dist/admin).
  await build({ configFile: join(repo, 'admin-ui/vite.config.ts'), logLevel: 'error' });
  folder = await mkdtemp(join(tmpdir(), 'comfyume-workshop-e2e-'));
  await writeFile(
    join(folder, 'Intro - text to image.json'),
    JSON.stringify(workflow(['Intro', 'Step two'])),
  );
  await writeFile(join(folder, 'Upscaling.json'), JSON.stringify(workflow(['Upscale'])));
  stack = await startStack({
    relayEnv: {
      WORKSHOP_WORKFLOWS_DIR: folder,
      WORKSHOP_DEFAULT_WORKFLOW: 'Intro - text to image.json',
    },
  });
  const alice = await stack.attendee('user001');
  harness = await startHarness({ sidecarUrl: alice.url });
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await harness?.close();
  await stack?.close();
  await rm(folder, { recursive: true, force: true });
});

describe('the workshop in the attendee page', () => {
  it('opens the default on the first visit, lists the templates, shows a published workflow and a broadcast live', async () => {
    const comfy = new ComfyPage(await browser.newPage());
    await comfy.open(harness.url);
    await expect
      .poll(() => tabLabel(comfy), { timeout: 20_000 })
      .toBe('Intro - text to image')
      .catch(async (error: unknown) => {
        await shot(comfy, 'workshop-0-failed');
        const state = await comfy.page.evaluate(() => ({
          seen: localStorage.getItem('comfyume.workshop.defaultOpened'),
          active: (window as unknown as { app: { extensionManager: { workflow: unknown } } }).app
            .extensionManager.workflow,
        }));
        throw new Error(
          `${String(error)}; page state ${JSON.stringify(state)}; ${browser.errors.join(' | ')}`,
        );
      });
    expect(await nodeTitles(comfy)).toEqual(['Intro', 'Step two']);

    await comfy.page.locator('.workflows-tab-button').click();
    const items = comfy.page.locator('.workflow-item');
    await expect
      .poll(() => items.allTextContents())
      .toEqual(['Intro - text to image', 'Upscaling']);
    await shot(comfy, 'workshop-1-default-and-sidebar');

    const published = await admin('/api/workshop/workflows/Live%20demo.json', {
      method: 'PUT',
      body: JSON.stringify(workflow(['Live', 'demo'])),
    });
    expect(published.status).toBe(200);
    const toast = comfy.toasts.filter({ hasText: 'New workflow from the instructor' });
    await toast.waitFor({ timeout: 10_000 });
    await expect
      .poll(() => items.allTextContents())
      .toEqual(['Intro - text to image', 'Live demo', 'Upscaling']);
    await shot(comfy, 'workshop-2-published-toast');
    await toast.locator('.comfyume-toast-open').click();
    await expect.poll(() => tabLabel(comfy)).toBe('Live demo');
    expect(await nodeTitles(comfy)).toEqual(['Live', 'demo']);

    const said = await admin('/api/workshop/broadcast', {
      method: 'POST',
      body: JSON.stringify({ text: '<b>Break</b> until 11:00 <img src=x onerror=alert(1)>' }),
    });
    expect(said.status).toBe(202);
    const line = comfy.toasts.filter({
      has: comfy.page.locator('.p-toast-summary', { hasText: /^From the instructor$/ }),
    });
    await line.waitFor({ timeout: 10_000 });
    expect(await line.locator('.p-toast-detail').textContent()).toBe(
      '<b>Break</b> until 11:00 <img src=x onerror=alert(1)>',
    );
    expect(await line.locator('img, b').count()).toBe(0);
    await shot(comfy, 'workshop-3-broadcast');

    // A second visit keeps the page's own canvas: the default opened once already.
    await comfy.page.reload();
    await comfy.ready();
    await comfy.page.waitForSelector('body[data-harness-ready="true"]');
    expect(
      await comfy.page.evaluate(() => localStorage.getItem('comfyume.workshop.defaultOpened')),
    ).toBe('Intro - text to image.json');
    expect(await tabLabel(comfy)).toBe('Unsaved Workflow');
    expect(await nodeTitles(comfy)).not.toContain('Intro');
    await comfy.page.close();
  });
});

describe('the workshop in the operator dashboard', () => {
  it('publishes a workflow file and says a line; the attendee page shows both', async () => {
    const attendee = new ComfyPage(await browser.newPage());
    await attendee.open(harness.url);
    const dashboard = await browser.newPage();
    await dashboard.goto(`${stack.relayUrl}/admin/`);
    await dashboard.locator('admin-login input').fill(ADMIN_TOKEN);
    await dashboard.locator('admin-login button[type=submit]').click();
    const panel = dashboard.locator('admin-workshop');
    await expect
      .poll(() => panel.locator('li[data-workflow]').count(), { timeout: 20_000 })
      .toBeGreaterThanOrEqual(3);

    const file = join(folder, 'Dashboard handout.json');
    await writeFile(file, JSON.stringify(workflow(['From', 'the dashboard'])));
    const broken = join(folder, 'notes.json');
    await writeFile(broken, '{"prompt": {}}');
    await panel.locator('input[type=file]').setInputFiles(broken);
    await panel.locator('form[aria-label="Publish a workflow"] button').click();
    await expect
      .poll(() => panel.locator('[role=alert]').textContent())
      .toContain('notes.json: not a ComfyUI workflow');
    await panel.locator('input[type=file]').setInputFiles(file);
    await panel.locator('form[aria-label="Publish a workflow"] button').click();
    await panel.locator('li[data-workflow="Dashboard handout.json"]').waitFor({ timeout: 10_000 });
    await attendee.toasts.filter({ hasText: 'Dashboard handout' }).waitFor({ timeout: 10_000 });

    await panel.locator('input[name=text]').fill('Questions? Raise your hand 🙋');
    await panel.locator('form[aria-label="Say to every attendee"] button').click();
    await attendee.toasts
      .filter({ hasText: 'Questions? Raise your hand' })
      .waitFor({ timeout: 10_000 });
    const file1 = screenPath('workshop-4-dashboard');
    if (file1) await dashboard.screenshot({ path: file1, fullPage: true });
    await shot(attendee, 'workshop-5-attendee-after-dashboard');
    await dashboard.close();
    await attendee.page.close();
  });
});
