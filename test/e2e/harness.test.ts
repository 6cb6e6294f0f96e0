/**
 * The built extension in the browser harness against a scripted sidecar (a real HTTP + WS server):
 * loading, the request the Run button makes, every banner phase from `comfyume.job` frames, the
 * output drawn on the canvas, the tracker's cancel / re-run, failure toasts, reload, the polling
 * fallback, both server generations, and two tabs sharing one worker.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Harness } from '../../workshop-page/server';
import type { Browser } from './support/browser';
import { ComfyPage } from './support/comfy-page';
import { resetBrowser, startHarnessRig, type HarnessRig } from './support/harness-rig';
import { jobMessage, jobSnapshot } from './support/job-snapshot';
import { screenPath } from './support/screens';
import type { ScriptedSidecar } from './support/scripted-sidecar';
import { invertWorkflow } from './support/workflows';

const workflow = invertWorkflow(); // EmptyImage → ImageInvert → PreviewImage + SaveImage(4)

let rig: HarnessRig;
let sidecar: ScriptedSidecar;
let harness: Harness;
let browser: Browser;
let comfy: ComfyPage;

async function shot(name: string): Promise<void> {
  const file = screenPath(name);
  if (file) await comfy.screenshot(file);
}

/** Queues the workflow with the Run button and returns the prompt id the server answered. */
async function queueWorkflow(): Promise<string> {
  const before = sidecar.prompts.length;
  await comfy.run();
  await expect.poll(() => sidecar.prompts.length, { timeout: 20_000 }).toBe(before + 1);
  return sidecar.prompts.at(-1)!.promptId;
}

beforeAll(async () => {
  rig = await startHarnessRig();
  ({ sidecar, harness, browser } = rig);
});

afterAll(() => rig?.close());

beforeEach(async () => {
  sidecar.jobs = { active: [], finished: [] };
  sidecar.legacy = false;
  sidecar.refuseSockets = false;
  sidecar.promptDelayMs = 0;
  comfy = new ComfyPage(await browser.newPage());
  await comfy.open(harness.url);
  await comfy.loadApiWorkflow(workflow);
  await comfy.waitForClientId();
});

// Each test starts from a clean slate: no stored jobs, no shared worker left with state.
afterEach(() => resetBrowser(browser));

describe('extension in the harness', () => {
  it('loads from /extensions with no console errors and registers its parts', async () => {
    const info = await comfy.page.evaluate(() => {
      const app = (
        window as unknown as {
          app: {
            extensions: { name: string }[];
            extensionManager: { setting: { get(id: string): unknown } };
          };
        }
      ).app;
      return {
        names: app.extensions.map((e) => e.name),
        setting: app.extensionManager.setting.get('Comfyume.Banner.Enabled'),
        tabButton: Boolean(document.querySelector('.comfyume-jobs-tab-button')),
      };
    });
    expect(info.names).toContain('Comfyume.JobStatus');
    expect(info.setting).toBe(true);
    expect(info.tabButton).toBe(true);
    const extList = sidecar.requests.filter((r) => r.path === '/api/extensions');
    expect(extList.length).toBeGreaterThan(0);
    expect(browser.errors).toEqual([]);
  });

  it('Run posts the same body as the stock frontend', async () => {
    const sid = await comfy.clientId();
    await queueWorkflow();
    const body = sidecar.prompts.at(-1)!.body as {
      client_id: string;
      prompt: typeof workflow;
      extra_data: { extra_pnginfo: { workflow: { nodes: unknown[] } } };
    };
    expect(Object.keys(body)).toEqual(['client_id', 'prompt', 'extra_data']);
    expect(body.client_id).toBe(sid);
    expect(body.prompt).toEqual(workflow);
    expect(body.extra_data.extra_pnginfo.workflow.nodes).toHaveLength(4);
  });

  it('shows every banner phase the sidecar reports, and a summary of several jobs', async () => {
    // The page plays frontend 1.45.0, which draws its own step progress: ask the banner for it too.
    await comfy.setSetting('Comfyume.Banner.Progress', 'always');
    sidecar.promptDelayMs = 1_500;
    const before = sidecar.prompts.length;
    const sent = comfy.run();
    await comfy.waitForPhase('sending');
    await shot('banner-1-sending');
    await sent;
    await expect.poll(() => sidecar.prompts.length, { timeout: 20_000 }).toBe(before + 1);
    const id = sidecar.prompts.at(-1)!.promptId;
    const t0 = Date.now() - 80_000; // queued 80 s ago, so "done" can be 72 s after it and still in the past
    const send = (over: Parameters<typeof jobSnapshot>[1]) =>
      sidecar.send(jobMessage(jobSnapshot(id, { createdAt: t0, number: 7, ...over })));

    send({ state: 'queued', position: 2, queueLength: 3, etaMs: 40_000 });
    await comfy.waitForPhase('queued');
    expect(await comfy.bannerTitle.textContent()).toBe('Queued — position 2 of 3');
    expect(await comfy.bannerDetail.textContent()).toMatch(/^Starts in ~(35|40) s$/);
    await shot('banner-2-queued');

    send({ state: 'warming_up', coldStartSince: Date.now() - 12_000, submittedAt: Date.now() });
    await comfy.waitForPhase('warming_up');
    expect(await comfy.bannerTitle.textContent()).toBe('GPU warming up');
    expect(await comfy.bannerDetail.textContent()).toMatch(/Cold start, 1\d s so far/);
    await shot('banner-3-warming-up');

    send({
      state: 'running',
      startedAt: Date.now() - 3_000,
      progress: { nodeId: '2', nodeType: 'ImageInvert', value: 3, max: 20 },
    });
    await comfy.waitForPhase('running');
    // The node's title comes from the open graph, not the type name.
    expect(await comfy.bannerTitle.textContent()).toBe('Running Invert Image Colors');
    expect(await comfy.bannerDetail.textContent()).toMatch(/^Step 3 of 20 · \d+ s$/);
    await shot('banner-4-running');

    send({ state: 'fetching_outputs', startedAt: Date.now() - 5_000 });
    await comfy.waitForPhase('saving');
    await shot('banner-5-saving');

    send({ state: 'done', finishedAt: t0 + 72_000 });
    await comfy.waitForPhase('done');
    expect(await comfy.bannerTitle.textContent()).toBe('Done in 72 s');
    await shot('banner-6-done');

    // Three jobs at once: one running, two queued.
    const [a, b, c] = [
      '00000000-0000-4000-8000-00000000000a',
      '00000000-0000-4000-8000-00000000000b',
      '00000000-0000-4000-8000-00000000000c',
    ];
    sidecar.send(
      jobMessage(
        jobSnapshot(a!, {
          state: 'running',
          startedAt: Date.now(),
          progress: { nodeId: '4', value: 1, max: 4 },
        }),
      ),
    );
    sidecar.send(
      jobMessage(jobSnapshot(b!, { state: 'queued', position: 1, queueLength: 2, etaMs: 40_000 })),
    );
    sidecar.send(
      jobMessage(jobSnapshot(c!, { state: 'queued', position: 2, queueLength: 2, etaMs: 90_000 })),
    );
    await comfy.waitForPhase('summary');
    expect(await comfy.bannerTitle.textContent()).toMatch(
      /^3 jobs: 1 running, 2 queued — next in ~(35|40) s$/,
    );
    await shot('banner-7-summary');
    for (const x of [a, b, c])
      sidecar.send(jobMessage(jobSnapshot(x!, { state: 'cancelled', finishedAt: Date.now() })));
    await comfy.waitForPhase('cancelled');
    await shot('banner-8-cancelled');
  });

  it('names a failure and its node in the banner, the tracker and a toast', async () => {
    const id = await queueWorkflow();
    sidecar.send(
      jobMessage(
        jobSnapshot(id, {
          state: 'failed',
          finishedAt: Date.now(),
          error: {
            message: 'Saving image outside the output folder is not allowed.',
            nodeId: '4',
            nodeType: 'SaveImage',
            exceptionType: 'Exception',
            exceptionMessage: '',
            traceback: [],
            currentInputs: {},
            currentOutputs: [],
          },
        }),
      ),
    );
    await comfy.waitForPhase('failed');
    expect(await comfy.bannerTitle.textContent()).toBe(
      'Failed: Saving image outside the output folder is not allowed.',
    );
    expect(await comfy.bannerDetail.textContent()).toBe('in Save Image (node #4, SaveImage)');
    await expect.poll(() => comfy.toasts.filter({ hasText: 'GPU job failed' }).count()).toBe(1);
    expect(await comfy.toasts.first().textContent()).toContain('Save Image #4');
    await comfy.openTracker();
    await expect
      .poll(() => comfy.trackerRow(id).locator('.error').textContent())
      .toContain('Save Image (node #4)');
    await shot('banner-9-failed');
    await shot('tracker-failed');
  });

  it('draws the executed output on the SaveImage node', async () => {
    const id = await queueWorkflow();
    sidecar.send({ type: 'execution_start', data: { prompt_id: id, timestamp: Date.now() } });
    sidecar.send({
      type: 'progress_state',
      data: {
        prompt_id: id,
        nodes: {
          '4': {
            value: 0,
            max: 1,
            state: 'running',
            node_id: '4',
            prompt_id: id,
            display_node_id: '4',
            parent_node_id: null,
            real_node_id: '4',
          },
        },
      },
    });
    sidecar.send({
      type: 'executed',
      data: {
        node: '4',
        display_node: '4',
        prompt_id: id,
        output: { images: [{ filename: 'ComfyUI_00001_.png', subfolder: '', type: 'output' }] },
      },
    });
    const pixel = await comfy.waitForNodeColour(4, [204, 102, 0]);
    expect(pixel.slice(0, 3)).toEqual([204, 102, 0]);
    await shot('canvas-output');
  });

  it('cancels a running job with /interrupt, a queued one with /queue delete, and re-runs a finished one', async () => {
    const running = await queueWorkflow();
    const queued = await queueWorkflow();
    sidecar.send(
      jobMessage(
        jobSnapshot(running, {
          state: 'running',
          startedAt: Date.now(),
          progress: { nodeId: '2', value: 1, max: 10 },
        }),
      ),
    );
    sidecar.send(
      jobMessage(
        jobSnapshot(queued, { state: 'queued', position: 1, queueLength: 1, etaMs: 20_000 }),
      ),
    );
    await comfy.openTracker();
    await comfy.trackerRow(running).locator('button.cancel').click();
    await expect
      .poll(() => sidecar.requests.find((r) => r.path === '/api/interrupt')?.body)
      .toEqual({ prompt_id: running });
    await comfy.trackerRow(queued).locator('button.cancel').click();
    await expect
      .poll(
        () => sidecar.requests.find((r) => r.method === 'POST' && r.path === '/api/queue')?.body,
      )
      .toEqual({ delete: [queued] });
    await shot('tracker-active');

    sidecar.send(
      jobMessage(
        jobSnapshot(running, {
          state: 'done',
          finishedAt: Date.now(),
          outputs: {
            '4': { images: [{ filename: 'ComfyUI_00001_.png', subfolder: '', type: 'output' }] },
          },
        }),
      ),
    );
    await comfy.trackerRow(running).locator('button.requeue').waitFor();
    expect(await comfy.trackerRow(running).locator('img').getAttribute('src')).toContain(
      '/api/view?filename=ComfyUI_00001_.png&type=output',
    );
    const before = sidecar.prompts.length;
    await comfy.trackerRow(running).locator('button.requeue').click();
    await expect.poll(() => sidecar.prompts.length).toBe(before + 1);
    expect(sidecar.prompts.at(-1)!.body.prompt).toEqual(workflow);
    expect(sidecar.prompts.at(-1)!.body.client_id).toBe(await comfy.clientId());
    await shot('tracker-done');
  });

  it('finds the jobs again after a reload', async () => {
    const id = await queueWorkflow();
    sidecar.send(
      jobMessage(jobSnapshot(id, { state: 'done', finishedAt: Date.now(), number: 42 })),
    );
    await comfy.waitForPhase('done');
    await comfy.page.reload();
    await comfy.ready();
    await comfy.openTracker();
    await expect
      .poll(() => comfy.trackerRow(id).locator('.label').textContent(), { timeout: 20_000 })
      .toBe('Done · #43');
    await shot('tracker-after-reload');
  });

  it('polls /api/jobs while the socket is down, and falls back to /queue + /history on old servers', async () => {
    sidecar.refuseSockets = true;
    sidecar.dropSockets();
    const id = '11111111-2222-4333-8444-555555555555';
    sidecar.jobs.active = [
      { id, status: 'in_progress', priority: 3, create_time: Date.now() - 2_000, outputs_count: 0 },
    ];
    await comfy.openTracker();
    await expect
      .poll(() => comfy.trackerRow(id).getAttribute('data-state'), { timeout: 20_000 })
      .toBe('running');
    sidecar.jobs = {
      active: [],
      finished: [
        {
          id,
          status: 'completed',
          priority: 3,
          create_time: Date.now() - 2_000,
          execution_start_time: Date.now() - 1_500,
          execution_end_time: Date.now(),
          outputs_count: 1,
        },
      ],
    };
    await expect
      .poll(() => comfy.trackerRow(id).getAttribute('data-state'), { timeout: 20_000 })
      .toBe('done');
    expect(await comfy.tracker.locator('.status').textContent()).toContain('polling');

    sidecar.legacy = true;
    const old = '99999999-2222-4333-8444-555555555555';
    sidecar.queue = {
      queue_running: [],
      queue_pending: [[9, old, {}, { client_id: 'x', create_time: Date.now() }, ['4']]],
    };
    await expect
      .poll(() => comfy.trackerRow(old).getAttribute('data-state'), { timeout: 20_000 })
      .toBe('queued');
    expect(sidecar.requests.some((r) => r.path.startsWith('/api/history?max_items='))).toBe(true);
  });

  it('shares one worker between two tabs: an event only tab A receives shows in tab B', async () => {
    const second = new ComfyPage(await browser.context.newPage());
    await second.open(harness.url);
    const sidA = await comfy.clientId();
    const sidB = await second.waitForClientId();
    expect(sidB).not.toBe(sidA);
    await second.setSetting('Comfyume.Banner.Progress', 'always');
    const id = await queueWorkflow();
    // Targeted native events, as ComfyUI sends them to the queueing tab only.
    sidecar.sendTo(sidA, {
      type: 'execution_start',
      data: { prompt_id: id, timestamp: Date.now() },
    });
    sidecar.sendTo(sidA, {
      type: 'progress',
      data: { prompt_id: id, node: '2', value: 5, max: 9 },
    });
    await second.waitForPhase('running');
    // The progress event may reach tab B's banner a moment after execution_start's phase does.
    await expect
      .poll(() => second.bannerDetail.textContent(), { timeout: 20_000 })
      .toMatch(/^Step 5 of 9/);
    expect(await second.page.evaluate(() => typeof SharedWorker)).toBe('function');
    const file = screenPath('two-tabs-second');
    if (file) await second.screenshot(file);
  });

  it('can be switched off by its setting', async () => {
    const id = await queueWorkflow();
    await comfy.page.evaluate(() =>
      (
        window as unknown as {
          app: { extensionManager: { setting: { set(id: string, v: unknown): Promise<void> } } };
        }
      ).app.extensionManager.setting.set('Comfyume.Banner.Enabled', false),
    );
    sidecar.send(jobMessage(jobSnapshot(id, { state: 'queued', position: 1 })));
    await comfy.openTracker();
    await comfy.trackerRow(id).waitFor();
    expect(await comfy.banner.isVisible()).toBe(false);
  });
});
