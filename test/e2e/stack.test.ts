/**
 * The extension through the whole chain: browser (harness page served by the attendee's ComfyUI)
 * → sidecar → relay → simulated GPU, and back. Runs against a live deployment with BASE_URL
 * (see README.md); the cold start needs the local stack.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extensionErrors, launchBrowser, type Browser } from './support/browser';
import { ComfyPage } from './support/comfy-page';
import { screenPath } from './support/screens';
import { blurWorkflow, INVERTED_RGB, invertWorkflow, txt2img } from './support/workflows';
import { startE2EStack, type E2EStack } from './stack';

async function shot(comfy: ComfyPage, name: string): Promise<void> {
  const file = screenPath(name);
  if (file) await comfy.screenshot(file);
}

/** The page's window once the extension has loaded (extensions/src/controller/job-status.ts). */
type JobsWindow = Window & { comfyumeJobs?: { shared: boolean; tabCount: () => Promise<number> } };

/** A colour the workflow's EmptyImage has not produced before, so the GPU cannot answer from cache. */
const freshColour = (() => {
  let n = Date.now() % 100_000;
  // Only the red channel varies, so the colour stays within EmptyImage's 0…0xFFFFFF (it once went negative: a 400 at Run).
  return () => ((n++ % 256) << 16) | 0x0099ff;
})();

describe('serverless GPU with a cold start', () => {
  let stack: E2EStack;
  let browser: Browser;
  let comfy: ComfyPage;
  const ids: string[] = [];

  beforeAll(async () => {
    stack = await startE2EStack({ mode: 'serverless' });
    browser = await launchBrowser({ httpCredentials: stack.httpCredentials });
    comfy = new ComfyPage(await browser.newPage());
    await comfy.open(stack.url);
    await comfy.loadApiWorkflow(invertWorkflow());
    await comfy.waitForClientId();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('runs a workflow: the banner says Done and the output is drawn on the SaveImage node', async () => {
    const phases = await comfy.recordPhases();
    ids.push(await comfy.runAndGetId());
    await comfy.waitForPhase('done', 120_000);
    expect(await comfy.bannerTitle.textContent()).toMatch(/^Done in \d/);
    const seen = await phases();
    expect(seen[0]).toBe('sending');
    expect(seen.at(-1)).toBe('done');
    // The harness's canvas layout is known; a live stock frontend's is not, so there the node's image is checked.
    const pixel = stack.live
      ? await comfy.waitForNodeImageColour(4, INVERTED_RGB)
      : await comfy.waitForNodeColour(4, INVERTED_RGB);
    expect(pixel[3]).toBe(255);
    await shot(comfy, 'stack-done-canvas');
  });

  it('passes through GPU warming up after the GPU scaled to zero, then Running, Saving, Done', async () => {
    // A live GPU cannot be told to scale to zero: there the run just has to reach Done in order.
    if (!stack.live) await stack.coldStartGpu();
    await comfy.page.evaluate((colour) => {
      const app = (
        window as unknown as {
          app: {
            graph: { getNodeById(id: number): { widgets: { name: string; value: unknown }[] } };
          };
        }
      ).app;
      app.graph.getNodeById(1).widgets.find((w) => w.name === 'color')!.value = colour;
    }, freshColour());
    const phases = await comfy.recordPhases();
    ids.push(await comfy.runAndGetId());
    if (!stack.live) {
      // The GPU stays cold until the banner has said so: no race with a timer on a busy machine.
      await comfy.waitForPhase('warming_up', 60_000);
      expect(await comfy.bannerDetail.textContent()).toMatch(/^Cold start, \d+ s so far/);
      await shot(comfy, 'stack-warming-up');
      stack.warmGpu();
    }
    await comfy.waitForPhase('done', 120_000);
    const all = await phases();
    const seen = all.slice(all.indexOf('sending')); // before it: the previous run's "done"
    const expected = stack.live ? ['sending', 'done'] : ['sending', 'warming_up', 'done'];
    const order = expected.map((p) => seen.indexOf(p));
    expect(
      order.every((i) => i >= 0),
      seen.join(' > '),
    ).toBe(true);
    expect(order, seen.join(' > ')).toEqual([...order].sort((a, b) => a - b));
    expect(
      seen.slice(order.at(-2)! + 1, order.at(-1)).some((p) => p === 'running' || p === 'saving'),
    ).toBe(true);
    expect(await comfy.bannerTitle.textContent()).toMatch(
      /^Done in (\d+(\.\d)? s|\d+ min( \d+ s)?)$/,
    );
  });

  it('lists the jobs in the tracker with their thumbnails', async () => {
    await comfy.openTracker();
    for (const id of ids) {
      await expect
        .poll(() => comfy.trackerRow(id).getAttribute('data-state'), { timeout: 30_000 })
        .toBe('done');
    }
    const img = comfy.trackerRow(ids[0]!).locator('img');
    await expect
      .poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth > 0), {
        timeout: 20_000,
      })
      .toBe(true);
    expect(await img.getAttribute('src')).toContain('/api/view?filename=');
    await shot(comfy, 'stack-tracker');
  });

  it('finds the jobs again after a reload', async () => {
    await comfy.page.reload();
    await comfy.ready();
    await comfy.openTracker();
    for (const id of ids) {
      await expect
        .poll(() => comfy.trackerRow(id).getAttribute('data-state'), { timeout: 30_000 })
        .toBe('done');
    }
    await shot(comfy, 'stack-tracker-after-reload');
  });

  it('had no console errors (on a live stock frontend: none from our extension)', () => {
    expect(stack.live ? extensionErrors(browser.errors) : browser.errors).toEqual([]);
  });
});

describe('direct GPU with step progress and a failing node', () => {
  let stack: E2EStack;
  let browser: Browser;
  let comfy: ComfyPage;

  beforeAll(async () => {
    stack = await startE2EStack({
      mode: 'direct',
      gpu: { stepMs: 150, failures: { failNodeTypes: ['ImageBlur'] } },
    });
    browser = await launchBrowser({ httpCredentials: stack.httpCredentials });
    comfy = new ComfyPage(await browser.newPage());
    await comfy.open(stack.url);
    await comfy.waitForClientId();
  });
  afterAll(async () => {
    // The setting persists on a live deployment: give the attendee their default back.
    await comfy?.setSetting('Comfyume.Banner.Progress', 'auto').catch(() => undefined);
    await browser?.close();
    await stack?.close();
  });

  it('names the running node from the graph and counts its steps', async () => {
    // Frontends from 1.32.7 on draw step progress themselves; the setting asks the banner for it too.
    await comfy.setSetting('Comfyume.Banner.Progress', 'always');
    await comfy.loadApiWorkflow(txt2img(20, Date.now() % 1_000_000));
    // What node 9 shows: the canvas pixel in the harness, the loaded image on a live stock frontend.
    const shown = async () =>
      stack.live ? comfy.nodeImageSrc(9) : (await comfy.nodeImagePixel(9)).join(',');
    const before = await shown();
    await comfy.run();
    await comfy.waitForPhase('running', 60_000);
    await expect
      .poll(() => comfy.bannerDetail.textContent(), { timeout: 60_000 })
      .toMatch(/^Step \d+ of 20 · \d+ s/);
    expect(await comfy.bannerTitle.textContent()).toBe('Running KSampler');
    await shot(comfy, 'stack-running-steps');
    await comfy.waitForPhase('done', 120_000);
    await expect.poll(shown, { timeout: 30_000 }).not.toBe(before);
  });

  it('cancels a running job from the tracker', async () => {
    await comfy.loadApiWorkflow(txt2img(200, Date.now() % 1_000_000));
    const id = await comfy.runAndGetId();
    await comfy.waitForPhase('running', 60_000);
    await comfy.openTracker();
    await comfy.trackerRow(id).locator('button.cancel').click();
    await comfy.waitForPhase('cancelled', 60_000);
    await expect
      .poll(() => comfy.trackerRow(id).getAttribute('data-state'), { timeout: 30_000 })
      .toBe('cancelled');
    await shot(comfy, 'stack-cancelled');
  });

  it('reports a failing job with its message and node, in the banner, a toast and the tracker', async () => {
    await comfy.loadApiWorkflow(blurWorkflow());
    const id = await comfy.runAndGetId();
    await comfy.waitForPhase('failed', 60_000);
    expect(await comfy.bannerTitle.textContent()).toContain('Simulated failure of ImageBlur');
    expect(await comfy.bannerDetail.textContent()).toBe('in Image Blur (node #2, ImageBlur)');
    await expect
      .poll(() => comfy.toasts.filter({ hasText: 'GPU job failed' }).count(), { timeout: 20_000 })
      .toBeGreaterThan(0);
    await comfy.openTracker();
    await expect
      .poll(() => comfy.trackerRow(id).locator('.error').textContent(), { timeout: 20_000 })
      .toContain('Image Blur (node #2)');
    await shot(comfy, 'stack-failed');
  });

  it('shares one job worker between two tabs of the attendee', async () => {
    const second = new ComfyPage(await browser.context.newPage());
    await second.open(stack.url);
    const counts = await Promise.all(
      [comfy, second].map((c) =>
        c.page.evaluate(() => (window as JobsWindow).comfyumeJobs!.tabCount()),
      ),
    );
    expect(counts).toEqual([2, 2]);
    expect(await second.page.evaluate(() => (window as JobsWindow).comfyumeJobs!.shared)).toBe(
      true,
    );
    // The second tab shows the first tab's jobs at once (the shared worker already has them).
    await second.openTracker();
    expect(await second.tracker.locator('li').count()).toBeGreaterThan(0);
    await second.page.close();
  });

  it('had no console errors (on a live stock frontend: none from our extension)', () => {
    expect(stack.live ? extensionErrors(browser.errors) : browser.errors).toEqual([]);
  });
});
