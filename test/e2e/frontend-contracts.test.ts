/**
 * The extension API contracts the stock frontend keeps, each with the line of ComfyUI_frontend it
 * mirrors (tag v1.35.9, and 5948002de "1.45.0"; details in test/harness/page/generation.ts), checked
 * on the harness page playing each generation; then our extension under those contracts.
 *
 * | contract | 1.35.9 | 1.45.0 |
 * |---|---|---|
 * | custom tab `render(el)` before `el` is in the document; connected before the next microtask | ExtensionSlot.vue:5-12, :26-28 | same |
 * | `destroy()` only when the sidebar closes, never on a tab switch | ExtensionSlot.vue:30-34 | same |
 * | Run control: SplitButton root `<div data-testid="queue-button">` with 2 buttons / `<button data-testid="queue-button">` | ComfyQueueButton.vue:3-14 | ComfyQueueButton.vue:6-14 |
 * | `promptQueueing {requestId, batchCount}` before posting | absent | app.ts:1561 |
 * | `promptQueued` | app.ts:1407, always, `{number, batchCount}` | app.ts:1722, only after a success, `{number, batchCount, requestId}` |
 * | refused prompt → modal error dialog / non-modal error overlay (ShowErrorsTab on by default) | app.ts:1384-1387 | app.ts:1664-1671, ErrorOverlay.vue |
 * | a setting's `onChange(new, old)` runs before the value is stored | settingStore.ts:64-77 | settingStore.ts:99-125 |
 * | server `feature_flags` → api event | no (api.ts:669-676) | api.ts:758 |
 * | `window.__COMFYUI_FRONTEND_VERSION__` before extensions load | App.vue:51 | App.vue:62 |
 *
 * The regression this file guards: at 0f8200f the "GPU jobs" tab stayed empty in both real
 * frontends, because the tracker was dropped when `render(el)` got a detached element; the old
 * harness connected `el` first and hid it.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Browser } from './support/browser';
import { ComfyPage } from './support/comfy-page';
import { jobMessage, jobSnapshot } from './support/job-snapshot';
import { screenPath } from './support/screens';
import { resetBrowser, startHarnessRig, type HarnessRig } from './support/harness-rig';
import type { ScriptedSidecar } from './support/scripted-sidecar';
import { invertWorkflow } from './support/workflows';

const GENERATIONS = ['1.35.9', '1.45.0'] as const;
type Gen = (typeof GENERATIONS)[number];

const workflow = invertWorkflow(); // EmptyImage → ImageInvert(2) → PreviewImage + SaveImage(4)
const output = {
  '4': { images: [{ filename: 'ComfyUI_00001_.png', subfolder: '', type: 'output' }] },
};

type W = { app: any; comfyAPI: any; __slot: unknown[][]; __events: unknown[][] }; // eslint-disable-line @typescript-eslint/no-explicit-any

let rig: HarnessRig;
let sidecar: ScriptedSidecar;
let browser: Browser;

beforeAll(async () => {
  rig = await startHarnessRig();
  ({ sidecar, browser } = rig);
});

afterAll(() => rig?.close());

beforeEach(() => {
  sidecar.jobs = { active: [], finished: [] };
  sidecar.promptDelayMs = 0;
  sidecar.refusePrompts = false;
});

afterEach(() => resetBrowser(browser));

async function openPage(gen: Gen, page?: ComfyPage['page']): Promise<ComfyPage> {
  const comfy = new ComfyPage(page ?? (await browser.newPage()));
  await comfy.open(`${rig.harness.url}?frontend=${gen}`);
  await comfy.loadApiWorkflow(workflow);
  await comfy.waitForClientId();
  return comfy;
}

async function queue(comfy: ComfyPage): Promise<string> {
  const before = sidecar.prompts.length;
  await comfy.run();
  await expect.poll(() => sidecar.prompts.length, { timeout: 20_000 }).toBe(before + 1);
  return sidecar.prompts.at(-1)!.promptId;
}

const toggle = (comfy: ComfyPage, tab: string) =>
  comfy.page.evaluate(
    (id) =>
      (window as unknown as W).app.extensionManager.command.execute(
        `Workspace.ToggleSidebarTab.${id}`,
      ),
    tab,
  );

const shot = async (comfy: ComfyPage, name: string) => {
  const file = screenPath(name);
  if (file) await comfy.screenshot(file);
};

describe.each(GENERATIONS)('the harness plays frontend %s', (gen) => {
  it('reports its version before extensions load (App.vue onMounted)', async () => {
    const comfy = await openPage(gen);
    expect(await comfy.frontendVersion()).toBe(gen);
  });

  it('renders a custom sidebar tab into a detached element, and calls destroy only on close (ExtensionSlot.vue)', async () => {
    const comfy = await openPage(gen);
    await comfy.page.evaluate(() => {
      const w = window as unknown as W & { __last?: HTMLElement };
      w.__slot = [];
      for (const id of ['probe-a', 'probe-b']) {
        w.app.extensionManager.registerSidebarTab({
          id,
          title: id,
          icon: 'pi pi-box',
          type: 'custom',
          render: (el: HTMLElement) => {
            w.__slot.push(['render', id, el.isConnected, el === w.__last]);
            w.__last = el;
            queueMicrotask(() => w.__slot.push(['then connected', el.isConnected]));
          },
          destroy: () => w.__slot.push(['destroy', id]),
        });
      }
    });
    for (const tab of ['probe-a', 'probe-b', 'node-library', 'probe-a', 'probe-a', 'probe-a'])
      await toggle(comfy, tab);
    await comfy.page.evaluate(() => new Promise((r) => requestAnimationFrame(r)));
    expect(await comfy.page.evaluate(() => (window as unknown as W).__slot)).toEqual([
      ['render', 'probe-a', false, false], // opened: detached
      ['then connected', true],
      ['render', 'probe-b', true, true], // custom → custom: the same element, no destroy
      ['then connected', true],
      ['render', 'probe-a', true, false], // back from a Vue tab: a new, connected element
      ['then connected', true],
      ['destroy', 'probe-a'], // closed
      ['render', 'probe-a', false, false], // opened again: a new detached element
      ['then connected', true],
    ]);
  });

  it('has the Run control of its generation (ComfyQueueButton.vue)', async () => {
    const comfy = await openPage(gen);
    const dom = await comfy.page.evaluate(() => {
      const el = document.querySelector('[data-testid="queue-button"]')!;
      return { tag: el.localName, buttons: el.querySelectorAll('button').length };
    });
    expect(dom).toEqual(
      gen === '1.45.0' ? { tag: 'button', buttons: 0 } : { tag: 'div', buttons: 2 },
    );
    await queue(comfy); // the page object's locator presses Run in both
  });

  it('fires the queue events its app.ts fires, for an accepted and a refused prompt', async () => {
    const comfy = await openPage(gen);
    await comfy.page.evaluate(() => {
      const w = window as unknown as W;
      w.__events = [];
      for (const type of ['promptQueueing', 'promptQueued'])
        w.comfyAPI.api.api.addEventListener(type, (e: CustomEvent) =>
          w.__events.push([type, e.detail]),
        );
    });
    const events = () => comfy.page.evaluate(() => (window as unknown as W).__events);
    await queue(comfy);
    await expect.poll(events).toContainEqual(['promptQueued', expect.anything()]);
    expect(await events()).toEqual(
      gen === '1.45.0'
        ? [
            ['promptQueueing', { requestId: 1, batchCount: 1 }],
            ['promptQueued', { number: 0, batchCount: 1, requestId: 1 }],
          ]
        : [['promptQueued', { number: 0, batchCount: 1 }]],
    );
    await comfy.page.evaluate(() => ((window as unknown as W).__events = []));
    sidecar.refusePrompts = true;
    await comfy.run();
    const shown =
      gen === '1.45.0'
        ? comfy.page.getByTestId('error-overlay-messages')
        : comfy.page.locator('.p-dialog-content');
    await expect.poll(() => shown.textContent()).toBe('Prompt outputs failed validation');
    // 1.35.9 announces the end of the loop anyway; 1.45.0 only announced the start.
    expect(await events()).toEqual(
      gen === '1.45.0'
        ? [['promptQueueing', { requestId: 2, batchCount: 1 }]]
        : [['promptQueued', { number: 0, batchCount: 1 }]],
    );
    // Whatever the events, "Sending…" must not outlive the refusal.
    await comfy.page
      .locator('comfyume-status-banner .banner[data-phase="sending"]')
      .waitFor({ state: 'detached', timeout: 5_000 });
    await comfy.closeDialogs();
  });

  it('calls a setting’s onChange before it stores the value (settingStore.ts set)', async () => {
    const comfy = await openPage(gen);
    const seen = await comfy.page.evaluate(async () => {
      const app = (window as unknown as W).app;
      const log: unknown[][] = [];
      app.registerExtension({
        name: 'Probe.Settings',
        settings: [
          {
            id: 'Probe.Value',
            name: 'probe',
            type: 'number',
            defaultValue: 1,
            onChange: (value: unknown, old: unknown) =>
              log.push([value, old, app.extensionManager.setting.get('Probe.Value')]),
          },
        ],
      });
      await app.extensionManager.setting.set('Probe.Value', 2);
      await app.extensionManager.setting.set('Probe.Value', 2); // unchanged: no onChange
      return log;
    });
    expect(seen).toEqual([
      [1, undefined, 1], // addSetting reports the current value
      [2, 1, 1], // set: get() still answers the old value inside onChange
    ]);
  });

  it(`forwards the server's feature_flags as an event ${gen === '1.45.0' ? 'like' : 'unlike'} 1.45.0 api.ts:758`, async () => {
    const comfy = await openPage(gen);
    const got = await comfy.page.evaluate(async () => {
      const api = (window as unknown as W).comfyAPI.api.api;
      const seen: unknown[] = [];
      api.addEventListener('feature_flags', (e: CustomEvent) => seen.push(e.detail));
      api.socket.close(); // reconnects after 300 ms and gets a fresh feature_flags frame
      await new Promise((r) => api.addEventListener('reconnected', r, { once: true }));
      await new Promise((r) => setTimeout(r, 500));
      return { seen: seen.length, stored: Object.keys(api.serverFeatureFlags).length > 0 };
    });
    expect(got).toEqual({ seen: gen === '1.45.0' ? 1 : 0, stored: true });
  });
});

describe.each(GENERATIONS)('our extension in frontend %s', (gen) => {
  it('lists the jobs in a tracker the frontend mounted detached, after close/reopen and a tab switch', async () => {
    const comfy = await openPage(gen);
    await comfy.openTracker();
    const first = await queue(comfy);
    sidecar.send(
      jobMessage(jobSnapshot(first, { state: 'done', finishedAt: Date.now(), outputs: output })),
    );
    await expect
      .poll(() => comfy.trackerRow(first).getAttribute('data-state'), { timeout: 20_000 })
      .toBe('done');
    await toggle(comfy, 'comfyume-jobs'); // close
    await toggle(comfy, 'comfyume-jobs'); // open: a new detached element
    await comfy.trackerRow(first).waitFor();
    await toggle(comfy, 'node-library'); // switch away: no destroy
    const second = await queue(comfy);
    sidecar.send(jobMessage(jobSnapshot(second, { state: 'running', startedAt: Date.now() })));
    await toggle(comfy, 'comfyume-jobs'); // back: a new connected element
    await expect
      .poll(() => comfy.trackerRow(second).getAttribute('data-state'), { timeout: 20_000 })
      .toBe('running');
    expect(await comfy.tracker.count()).toBe(1);
    expect(await comfy.trackerRow(first).locator('img').getAttribute('src')).toContain(
      '/api/view?filename=ComfyUI_00001_.png',
    );
    await shot(comfy, `harness-${gen}-tracker`);
  });

  it('goes Sending → Queued → Running → Done, settles to a chip, and keeps a failure until it is closed', async () => {
    const comfy = await openPage(gen);
    await comfy.setSetting('Comfyume.Banner.SettleSeconds', 1);
    sidecar.promptDelayMs = 800;
    const phases = await comfy.recordPhases();
    const id = await comfy.runAndGetId(); // the server answered: the job exists
    const send = (over: Parameters<typeof jobSnapshot>[1]) =>
      sidecar.send(jobMessage(jobSnapshot(id, over)));
    send({ state: 'queued', position: 2, queueLength: 3, etaMs: 30_000 });
    await comfy.waitForPhase('queued');
    send({ state: 'running', startedAt: Date.now(), progress: { nodeId: '2', value: 3, max: 20 } });
    await comfy.waitForPhase('running');
    send({ state: 'done', finishedAt: Date.now(), outputs: output });
    await comfy.waitForPhase('done');
    expect(await phases()).toEqual(['sending', 'queued', 'running', 'done']);
    await comfy.page
      .locator('comfyume-status-banner .banner[data-phase="done"][data-compact]')
      .waitFor({ timeout: 10_000 });
    await shot(comfy, `harness-${gen}-banner-settled`);

    const failed = await queue(comfy);
    sidecar.send(
      jobMessage(
        jobSnapshot(failed, {
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
        }),
      ),
    );
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
    const comfy = await openPage(gen);
    const id = await queue(comfy);
    sidecar.send(
      jobMessage(
        jobSnapshot(id, {
          state: 'running',
          startedAt: Date.now(),
          etaMs: 40_000,
          progress: { nodeId: '2', value: 3, max: 20 },
        }),
      ),
    );
    sidecar.send({ type: 'execution_start', data: { prompt_id: id, timestamp: Date.now() } });
    sidecar.send({ type: 'progress', data: { prompt_id: id, node: '2', value: 3, max: 20 } });
    await comfy.waitForPhase('running');
    expect(await comfy.bannerTitle.textContent()).toBe('Running on the GPU');
    expect(await comfy.page.locator('comfyume-status-banner .bar').count()).toBe(0);
    await expect
      .poll(() => comfy.page.locator('#queue-progress').textContent())
      .toBe('Invert Image Colors · 3/20');
    await shot(comfy, `harness-${gen}-running`);
    await comfy.setSetting('Comfyume.Banner.Progress', 'always');
    await expect.poll(() => comfy.bannerTitle.textContent()).toBe('Running Invert Image Colors');
    expect(await comfy.bannerDetail.textContent()).toMatch(/^Step 3 of 20 · \d+ s/);
  });

  it('lists the jobs after a reload and in a second tab', async () => {
    const comfy = await openPage(gen);
    const id = await queue(comfy);
    sidecar.send(
      jobMessage(
        jobSnapshot(id, { state: 'done', number: 42, finishedAt: Date.now(), outputs: output }),
      ),
    );
    await comfy.waitForPhase('done');
    await comfy.page.reload();
    await comfy.ready();
    await comfy.openTracker();
    await expect
      .poll(() => comfy.trackerRow(id).locator('.label').textContent(), { timeout: 20_000 })
      .toBe('Done · #42');
    const second = await openPage(gen, await browser.context.newPage());
    await second.openTracker();
    await expect
      .poll(() => second.trackerRow(id).getAttribute('data-state'), { timeout: 20_000 })
      .toBe('done');
    await shot(second, `harness-${gen}-second-tab`);
  });
});
