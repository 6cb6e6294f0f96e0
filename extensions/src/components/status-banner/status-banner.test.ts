import { afterEach, describe, expect, it } from 'vitest';
import './status-banner';
import type { StatusBanner } from './status-banner';
import type { BannerView } from '../../state/banner-text';

const view = (over: Partial<BannerView> = {}): BannerView => ({
  phase: 'running',
  tone: 'progress',
  title: 'Running KSampler',
  detail: 'Step 7 of 20 · 12 s',
  progress: 0.35,
  key: 'j1:active',
  ...over,
});

async function mount(v: BannerView | null): Promise<StatusBanner> {
  const el = document.createElement('comfyume-status-banner');
  el.view = v;
  document.body.append(el);
  await el.updateComplete;
  return el;
}

afterEach(() => document.body.replaceChildren());

describe('<comfyume-status-banner>', () => {
  it('registers once and tolerates a second define', async () => {
    expect(customElements.get('comfyume-status-banner')).toBeDefined();
    await import('./status-banner'); // re-import must not throw
  });

  it('renders title, detail, phase and a progress bar', async () => {
    const el = await mount(view());
    const root = el.shadowRoot!;
    expect(root.querySelector('.title')!.textContent).toBe('Running KSampler');
    expect(root.querySelector('.detail')!.textContent).toBe('Step 7 of 20 · 12 s');
    expect(root.querySelector('.banner')!.getAttribute('data-phase')).toBe('running');
    expect((root.querySelector('.bar') as HTMLElement).style.width).toBe('35.0%');
  });

  it('announces the title (not the ticking detail) in a polite live region, failures assertively', async () => {
    const el = await mount(view());
    const live = el.shadowRoot!.querySelector('[aria-live]')!;
    expect(live.getAttribute('aria-live')).toBe('polite');
    expect(live.textContent).toBe('Running KSampler');
    el.view = view({ detail: 'Step 8 of 20 · 13 s' });
    await el.updateComplete;
    expect(live.textContent).toBe('Running KSampler');
    el.view = view({
      phase: 'failed',
      tone: 'danger',
      title: 'Failed: CUDA out of memory',
      key: 'j1:failed',
    });
    await el.updateComplete;
    const region = el.shadowRoot!.querySelector('[aria-live]')!;
    expect(region.getAttribute('aria-live')).toBe('assertive');
    expect(region.textContent).toBe('Failed: CUDA out of memory');
    expect(el.shadowRoot!.querySelector('[role="alert"]')).not.toBeNull();
  });

  it('dismisses until the key changes, and says so with an event', async () => {
    const el = await mount(view());
    const seen: string[] = [];
    el.addEventListener('comfyume-banner-dismiss', (e) => seen.push(e.detail.key));
    (el.shadowRoot!.querySelector('.close') as HTMLButtonElement).click();
    await el.updateComplete;
    expect(seen).toEqual(['j1:active']);
    expect(el.shadowRoot!.querySelector('.banner')).toBeNull();
    el.view = view({ detail: 'Step 9 of 20' });
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('.banner')).toBeNull();
    el.view = view({
      phase: 'done',
      tone: 'success',
      title: 'Done in 72 s',
      key: 'j1:done',
      progress: undefined,
      detail: undefined,
    });
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('.title')!.textContent).toBe('Done in 72 s');
    expect(el.shadowRoot!.querySelector('.bar')).toBeNull();
  });

  it('marks a settled outcome compact, on the banner and its host, and grows again for the next job', async () => {
    const el = await mount(
      view({
        phase: 'done',
        tone: 'success',
        title: 'Done in 12 s',
        key: 'j1:done',
        detail: undefined,
        progress: undefined,
        compact: true,
      }),
    );
    expect(el.shadowRoot!.querySelector('.banner')!.hasAttribute('data-compact')).toBe(true);
    expect(el.hasAttribute('compact')).toBe(true);
    el.view = view({ key: 'j2:active' });
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('.banner')!.hasAttribute('data-compact')).toBe(false);
    expect(el.hasAttribute('compact')).toBe(false);
  });

  it('shows nothing for a null view', async () => {
    const el = await mount(null);
    expect(el.shadowRoot!.querySelector('.banner')).toBeNull();
    expect(el.visible).toBe(false);
  });
});
