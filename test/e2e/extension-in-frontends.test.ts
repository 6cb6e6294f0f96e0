/**
 * Our extension in the harness playing each stock frontend generation, under the contracts
 * frontend-contracts.test.ts checks: the job tracker lists every job (live in a tab the frontend
 * mounted detached, after close / reopen / a tab switch, after a reload, in a second tab), the
 * banner goes Sending → Queued → Running → Done and settles, a failure stays until closed, and step
 * progress is left to the frontend's own panel.
 *
 * The regression this file guards: at 0f8200f the "GPU jobs" tab stayed empty in both real
 * frontends, because the tracker was dropped when `render(el)` got a detached element; the old
 * harness connected `el` first and hid it. With 0f8200f's extension these tests fail.
 */
import { describe, expect, it } from 'vitest';
import { GENERATIONS, savedOutput, useGenerationRig } from './support/generation-rig';

const t = useGenerationRig();

describe.each(GENERATIONS)('our extension in frontend %s', (gen) => {
  it('lists the jobs in a tracker the frontend mounted detached, after close/reopen and a tab switch', async () => {
    const comfy = await t.open(gen);
    await comfy.openTracker();
    const first = await t.queue(comfy);
    t.report(first, { state: 'done', finishedAt: Date.now(), outputs: savedOutput });
    await expect
      .poll(() => comfy.trackerRow(first).getAttribute('data-state'), { timeout: 20_000 })
      .toBe('done');
    await t.toggleTab(comfy, 'comfyume-jobs'); // close
    await t.toggleTab(comfy, 'comfyume-jobs'); // open: a new detached element
    await comfy.trackerRow(first).waitFor();
    await t.toggleTab(comfy, 'node-library'); // switch away: no destroy
    const second = await t.queue(comfy);
    t.report(second, { state: 'running', startedAt: Date.now() });
    await t.toggleTab(comfy, 'comfyume-jobs'); // back: a new connected element
    await expect
      .poll(() => comfy.trackerRow(second).getAttribute('data-state'), { timeout: 20_000 })
      .toBe('running');
    expect(await comfy.tracker.count()).toBe(1);
    expect(await comfy.trackerRow(first).locator('img').getAttribute('src')).toContain(
      '/api/view?filename=ComfyUI_00001_.png',
    );
    await t.shot(comfy, `harness-${gen}-tracker`);
  });

  it('goes Sending → Queued → Running → Done, settles to a chip, and keeps a failure until it is closed', async () => {
    const comfy = await t.open(gen);
    await comfy.setSetting('Comfyume.Banner.SettleSeconds', 1);
    t.sidecar.promptDelayMs = 800;
    const phases = await comfy.recordPhases();
    const id = await comfy.runAndGetId(); // the server answered: the job exists
    const send = (over: Parameters<typeof t.report>[1]) => t.report(id, over);
    send({ state: 'queued', position: 2, queueLength: 3, etaMs: 30_000 });
    await comfy.waitForPhase('queued');
    send({ state: 'running', startedAt: Date.now(), progress: { nodeId: '2', value: 3, max: 20 } });
    await comfy.waitForPhase('running');
    send({ state: 'done', finishedAt: Date.now(), outputs: savedOutput });
    await comfy.waitForPhase('done');
    expect(await phases()).toEqual(['sending', 'queued', 'running', 'done']);
    await comfy.page
      .locator('comfyume-status-banner .banner[data-phase="done"][data-compact]')
      .waitFor({ timeout: 10_000 });
    await t.shot(comfy, `harness-${gen}-banner-settled`);

    const failed = await t.queue(comfy);
    t.report(failed, {
      state: 'failed',
      finishedAt: Date.now(),
      error: {
        message: 'CUDA out of memory',
        nodeId: '2',
        nodeType: 'ImageInvert',
        exceptionType: 'OutOfMemoryError',
        exceptionMessage: '',
        traceback: [],
        currentInputs: {},
        currentOutputs: [],
      },
    });
    await comfy.waitForPhase('failed');
    // Twice the settle time later (by the page's clock), the failure is still there in full.
    await comfy.page.evaluate(() => new Promise((r) => setTimeout(r, 2_200)));
    expect(
      await comfy.page
        .locator('comfyume-status-banner .banner[data-phase="failed"]:not([data-compact])')
        .count(),
    ).toBe(1);
    await comfy.page.locator('comfyume-status-banner .close').click();
    await comfy.page.reload();
    await comfy.ready();
    await comfy.openTracker();
    await comfy.trackerRow(failed).waitFor();
    expect(await comfy.banner.count()).toBe(0); // dismissed stays dismissed after a reload
  });

  it('leaves step progress to the frontend’s own panel, and shows it when asked to', async () => {
    const comfy = await t.open(gen);
    const id = await t.queue(comfy);
    t.report(id, {
      state: 'running',
      startedAt: Date.now(),
      etaMs: 40_000,
      progress: { nodeId: '2', value: 3, max: 20 },
    });
    t.sidecar.send({ type: 'execution_start', data: { prompt_id: id, timestamp: Date.now() } });
    t.sidecar.send({ type: 'progress', data: { prompt_id: id, node: '2', value: 3, max: 20 } });
    await comfy.waitForPhase('running');
    expect(await comfy.bannerTitle.textContent()).toBe('Running on the GPU');
    expect(await comfy.page.locator('comfyume-status-banner .bar').count()).toBe(0);
    await expect
      .poll(() => comfy.page.locator('#queue-progress').textContent())
      .toBe('Invert Image Colors · 3/20');
    await t.shot(comfy, `harness-${gen}-running`);
    await comfy.setSetting('Comfyume.Banner.Progress', 'always');
    await expect.poll(() => comfy.bannerTitle.textContent()).toBe('Running Invert Image Colors');
    expect(await comfy.bannerDetail.textContent()).toMatch(/^Step 3 of 20 · \d+ s/);
  });

  it('lists the jobs after a reload and in a second tab', async () => {
    const comfy = await t.open(gen);
    const id = await t.queue(comfy);
    t.report(id, {
      state: 'done',
      number: 42,
      finishedAt: Date.now(),
      outputs: savedOutput,
    });
    await comfy.waitForPhase('done');
    await comfy.page.reload();
    await comfy.ready();
    await comfy.openTracker();
    await expect
      .poll(() => comfy.trackerRow(id).locator('.label').textContent(), { timeout: 20_000 })
      .toBe('Done · #43');
    const second = await t.open(gen, await t.browser.context.newPage());
    await second.openTracker();
    await expect
      .poll(() => second.trackerRow(id).getAttribute('data-state'), { timeout: 20_000 })
      .toBe('done');
    await t.shot(second, `harness-${gen}-second-tab`);
  });
});
