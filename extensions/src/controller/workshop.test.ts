/** Workshop messages become toasts and a sidebar refresh; the default opens on a first visit only, never over work. */
import { describe, expect, it } from 'vitest';
import {
  BROADCAST_SUMMARY,
  connectWorkshop,
  NEW_WORKFLOW_SUMMARY,
  openDefaultWorkflow,
  type WorkshopHost,
} from './workshop';

function host(options: { work?: boolean; defaultName?: string } = {}) {
  const toasts: { summary: string; detail: string }[] = [];
  const opened: { name: string; workflow: unknown }[] = [];
  const fetched: string[] = [];
  const stored = new Map<string, string>();
  let refreshed = 0;
  const api = Object.assign(new EventTarget(), {
    fetchApi: (path: string) => {
      fetched.push(path);
      if (path === '/comfyume/workshop')
        return Promise.resolve(Response.json({ workflows: [], default: options.defaultName }));
      return Promise.resolve(Response.json({ nodes: [], links: [], path }));
    },
  });
  const h: WorkshopHost = {
    api,
    toast: (t) => toasts.push(t),
    refreshWorkflows: () => {
      refreshed++;
      return Promise.resolve();
    },
    openWorkflow: (name, workflow) => {
      opened.push({ name, workflow });
      return Promise.resolve();
    },
    hasWorkInProgress: () => options.work ?? false,
    storage: {
      getItem: (k) => stored.get(k) ?? null,
      setItem: (k, v) => void stored.set(k, v),
    },
  };
  const fire = (type: string, detail: unknown) =>
    api.dispatchEvent(new CustomEvent(type, { detail }));
  return { h, toasts, opened, fetched, fire, refreshed: () => refreshed };
}

describe('connectWorkshop', () => {
  it('a published workflow refreshes the sidebar and shows the instructor toast', () => {
    const t = host();
    connectWorkshop(t.h);
    t.fire('comfyume.workflow', { name: 'intro.json', isDefault: false, at: 1 });
    expect(t.refreshed()).toBe(1);
    expect(t.toasts).toEqual([
      expect.objectContaining({
        summary: NEW_WORKFLOW_SUMMARY,
        detail: expect.stringContaining('intro'),
      }),
    ]);
  });

  it("the toast's Open loads the workflow and dismisses the toast", async () => {
    const t = host();
    // A PrimeVue toast as the stock toast API draws it.
    t.h.toast = (message) => {
      const toast = document.createElement('div');
      toast.className = 'p-toast-message';
      toast.innerHTML =
        '<div class="p-toast-message-text"><div class="p-toast-detail"></div></div><button class="p-toast-close-button"></button>';
      toast.querySelector('.p-toast-detail')!.textContent = message.detail;
      toast.querySelector('.p-toast-close-button')!.addEventListener('click', () => toast.remove());
      document.body.append(toast);
    };
    t.h.document = document;
    connectWorkshop(t.h);
    t.fire('comfyume.workflow', { name: 'lesson 2.json', isDefault: false, at: 1 });
    await new Promise((resolve) => requestAnimationFrame(resolve));
    document.querySelector<HTMLElement>('.comfyume-toast-open')!.click();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(t.opened.map((o) => o.name)).toEqual(['lesson 2']);
    expect(document.querySelector('.p-toast-message')).toBeNull();
  });

  it('a broadcast is a toast of its text, markup left as text; junk is ignored', () => {
    const t = host();
    connectWorkshop(t.h);
    t.fire('comfyume.broadcast', { text: '<img src=x onerror=alert(1)> break', at: 1 });
    t.fire('comfyume.broadcast', { text: 42 });
    t.fire('comfyume.workflow', { name: null });
    expect(t.toasts).toEqual([
      expect.objectContaining({
        summary: BROADCAST_SUMMARY,
        detail: '<img src=x onerror=alert(1)> break',
      }),
    ]);
  });
});

describe('openDefaultWorkflow', () => {
  it('opens the default on the first visit only', async () => {
    const t = host({ defaultName: 'intro.json' });
    expect(await openDefaultWorkflow(t.h, { asked: false })).toBe(true);
    expect(t.opened.map((o) => o.name)).toEqual(['intro']);
    expect(t.fetched).toContain('/userdata/workflows%2Fintro.json');
    expect(await openDefaultWorkflow(t.h, { asked: false })).toBe(false);
    expect(t.opened).toHaveLength(1);
    // …and again whenever the attendee asks.
    expect(await openDefaultWorkflow(t.h, { asked: true })).toBe(true);
    expect(t.opened).toHaveLength(2);
  });

  it('never replaces work in progress, and does nothing without a default', async () => {
    const busy = host({ defaultName: 'intro.json', work: true });
    expect(await openDefaultWorkflow(busy.h, { asked: false })).toBe(false);
    expect(busy.opened).toEqual([]);
    const none = host();
    expect(await openDefaultWorkflow(none.h, { asked: false })).toBe(false);
    expect(none.opened).toEqual([]);
  });
});
