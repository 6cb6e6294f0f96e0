/**
 * The extension API contracts the stock frontend keeps, each with the line of ComfyUI_frontend it
 * mirrors (tag v1.35.9, and 5948002de "1.45.0"; details in workshop-page/page/generation.ts), checked
 * on the harness page playing each generation. Seen in real builds of both tags too (a probe
 * extension): the sidebar slot, the Run control, the events of an accepted prompt, the version, and
 * the onChange order (through its effect on our setting); the rest is read from the source.
 * extension-in-frontends.test.ts runs our extension under them.
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
 */
import { describe, expect, it } from 'vitest';
import { GENERATIONS, useGenerationRig } from './support/generation-rig';

type W = { app: any; comfyAPI: any; __slot: unknown[][]; __events: unknown[][] }; // eslint-disable-line @typescript-eslint/no-explicit-any

const t = useGenerationRig();

describe.each(GENERATIONS)('the harness plays frontend %s', (gen) => {
  it('reports its version before extensions load (App.vue onMounted)', async () => {
    const comfy = await t.open(gen);
    expect(await comfy.frontendVersion()).toBe(gen);
  });

  it('renders a custom sidebar tab into a detached element, and calls destroy only on close (ExtensionSlot.vue)', async () => {
    const comfy = await t.open(gen);
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
      await t.toggleTab(comfy, tab);
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
    const comfy = await t.open(gen);
    const dom = await comfy.page.evaluate(() => {
      const el = document.querySelector('[data-testid="queue-button"]')!;
      return { tag: el.localName, buttons: el.querySelectorAll('button').length };
    });
    expect(dom).toEqual(
      gen === '1.45.0' ? { tag: 'button', buttons: 0 } : { tag: 'div', buttons: 2 },
    );
    await t.queue(comfy); // the page object's locator presses Run in both
  });

  it('fires the queue events its app.ts fires, for an accepted and a refused prompt', async () => {
    const comfy = await t.open(gen);
    await comfy.page.evaluate(() => {
      const w = window as unknown as W;
      w.__events = [];
      for (const type of ['promptQueueing', 'promptQueued'])
        w.comfyAPI.api.api.addEventListener(type, (e: CustomEvent) =>
          w.__events.push([type, e.detail]),
        );
    });
    const events = () => comfy.page.evaluate(() => (window as unknown as W).__events);
    await t.queue(comfy);
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
    t.sidecar.refusePrompts = true;
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
    const comfy = await t.open(gen);
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
    const comfy = await t.open(gen);
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
