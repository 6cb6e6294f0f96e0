/**
 * A serverless run on GPU replicas with the agent, seen in the browser: the whole chain (harness
 * page served by the attendee's ComfyUI → sidecar → relay → `simulate --replicas 3 --agent`, a
 * process per replica) and the replica's own stream reaching the canvas while the job runs —
 * nodes highlighted one after another from `progress_state`, the sampler's live previews drawn on
 * its node, step progress — then the output on the SaveImage node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type Browser } from './support/browser';
import { ComfyPage } from './support/comfy-page';
import { screenPath } from './support/screens';
import { txt2img } from './support/workflows';
import { startE2EStack, type E2EStack } from './stack';

type Seen = { running: string[][]; previews: string[]; steps: number[]; executing: string[] };
type W = {
  comfyAPI: { api: { api: EventTarget } };
  app: {
    graph: { getNodeById(id: number): { running?: boolean; previewImg?: HTMLImageElement } | null };
  };
  __seen: Seen;
};

describe('serverless GPU replicas with the agent, in the browser', () => {
  let stack: E2EStack;
  let browser: Browser;
  let comfy: ComfyPage;

  beforeAll(async () => {
    stack = await startE2EStack({
      mode: 'serverless',
      gpu: { replicas: 3, agent: true, stepMs: 80 },
    });
    browser = await launchBrowser({ httpCredentials: stack.httpCredentials });
    comfy = new ComfyPage(await browser.newPage());
    await comfy.open(stack.url);
    await comfy.loadApiWorkflow(txt2img(60, Date.now() % 1_000_000));
    await comfy.waitForClientId();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('highlights the running node, draws live previews on the sampler and shows its steps, then the output', async () => {
    // What the page's api dispatches, as the stock frontend's stores would see it.
    await comfy.page.evaluate(() => {
      const w = window as unknown as W;
      const seen: Seen = (w.__seen = { running: [], previews: [], steps: [], executing: [] });
      const api = w.comfyAPI.api.api;
      api.addEventListener('progress_state', (e) => {
        const nodes = ((e as CustomEvent).detail?.nodes ?? {}) as Record<string, { state: string }>;
        const running = Object.entries(nodes)
          .filter(([, s]) => s.state === 'running')
          .map(([id]) => id);
        if (running.join() !== seen.running.at(-1)?.join()) seen.running.push(running);
      });
      api.addEventListener('b_preview_with_metadata', (e) =>
        seen.previews.push(
          String((e as CustomEvent).detail?.displayNodeId ?? (e as CustomEvent).detail?.nodeId),
        ),
      );
      api.addEventListener('progress', (e) =>
        seen.steps.push(Number((e as CustomEvent).detail?.value)),
      );
      api.addEventListener('executing', (e) =>
        seen.executing.push(String((e as CustomEvent).detail)),
      );
    });
    const seen = () => comfy.page.evaluate(() => (window as unknown as W).__seen);
    await comfy.runAndGetId();

    // Mid-run: the sampler is highlighted and its live preview is on the canvas.
    await comfy.page.waitForFunction(
      () => {
        const w = window as unknown as W;
        const sampler = w.app.graph.getNodeById(3);
        return Boolean(
          sampler?.running &&
          sampler.previewImg?.complete &&
          sampler.previewImg.naturalWidth > 0 &&
          w.__seen.steps.length >= 3,
        );
      },
      undefined,
      { timeout: 120_000 },
    );
    const mid = screenPath('agent-serverless-running');
    if (mid) await comfy.screenshot(mid);
    const during = await seen();
    expect(during.previews.length).toBeGreaterThan(0);
    expect(new Set(during.previews)).toEqual(new Set(['3']));
    expect(during.running.at(-1)).toEqual(['3']);
    // Nodes ran one after another, each highlighted in turn before the sampler.
    const highlighted = during.running.flat();
    for (const node of ['4', '5', '3']) expect(highlighted).toContain(node);

    await comfy.waitForPhase('done', 180_000);
    const after = await seen();
    expect(after.steps).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(after.running.at(-1)).toEqual([]);
    expect(after.executing.at(-1)).toBe('null');
    for (const node of ['4', '5', '6', '7', '3', '8', '9']) expect(after.executing).toContain(node);
    await comfy.page.waitForFunction(() => {
      const img = (
        window as unknown as {
          app: { graph: { getNodeById(id: number): { imgs?: HTMLImageElement[] } | null } };
        }
      ).app.graph.getNodeById(9)?.imgs?.[0];
      return Boolean(img?.complete && img.naturalWidth > 0);
    });
    const done = screenPath('agent-serverless-done');
    if (done) await comfy.screenshot(done);
    expect(browser.errors).toEqual([]);
  });
});
