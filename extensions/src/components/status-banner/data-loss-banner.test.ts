/**
 * The relay's report that the GPU queue lost its saved jobs, from the socket event to what the
 * attendee sees: `comfyume.relay` with `dataLost` (job-feed) → the shared state (jobs-state) →
 * the banner's words (banner-text) → <comfyume-status-banner>, a warning that stays above the
 * jobs until the attendee dismisses it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import './status-banner';
import { connectJobFeed } from '../../controller/job-feed';
import { describeBanner, formatClock } from '../../state/banner-text';
import { initialJobsState, jobList, jobsReducer, type JobsState } from '../../state/jobs-state';

const DETECTED = Date.UTC(2026, 11, 5, 10, 42, 7);
const MESSAGE =
  'The GPU queue restarted without its saved state: jobs queued before then were lost. Press Queue Prompt again for any job that did not finish.';

function page() {
  const api = new EventTarget();
  let state: JobsState = initialJobsState();
  connectJobFeed(
    api,
    { dispatch: (a) => void (state = jobsReducer(state, a)), setSocket: () => undefined },
    { now: () => DETECTED },
  );
  const fire = (type: string, detail: unknown) =>
    api.dispatchEvent(new CustomEvent(type, { detail }));
  const banner = document.createElement('comfyume-status-banner');
  document.body.append(banner);
  let dataLossDismissed: string | undefined;
  banner.addEventListener('comfyume-banner-dismiss', (e) => {
    if (e.detail.key.startsWith('data-lost:')) dataLossDismissed = e.detail.key;
  });
  const render = async () => {
    banner.view = describeBanner({
      jobs: jobList(state),
      now: DETECTED + 5_000,
      sending: 0,
      relay: state.relay,
      dataLossDismissed,
    });
    await banner.updateComplete;
    return banner.shadowRoot!;
  };
  return { fire, banner, render, state: () => state };
}

afterEach(() => document.body.replaceChildren());

describe('the data-loss banner', () => {
  it('shows the report with the time in the attendee clock, as an alert, above a running job', async () => {
    const p = page();
    p.fire('comfyume.job', {
      id: 'j1',
      state: 'running',
      createdAt: DETECTED,
      startedAt: DETECTED,
      executedNodes: [],
      cachedNodes: [],
      outputs: {},
      statusMessages: [],
    });
    p.fire('comfyume.relay', { connected: true });
    expect((await p.render()).querySelector('.banner')!.getAttribute('data-phase')).not.toBe(
      'data_lost',
    );

    p.fire('comfyume.relay', {
      connected: true,
      dataLost: { detectedAt: DETECTED, message: MESSAGE },
    });
    expect(p.state().relay).toEqual({
      connected: true,
      dataLost: { detectedAt: DETECTED, message: MESSAGE },
    });
    const root = await p.render();
    const banner = root.querySelector('.banner')!;
    expect(banner.getAttribute('data-phase')).toBe('data_lost');
    expect(banner.getAttribute('data-tone')).toBe('warning');
    expect(banner.getAttribute('role')).toBe('alert');
    expect(root.querySelector('.spinner')).toBeNull();
    expect(root.querySelector('.title')!.textContent).toBe(
      `The GPU queue restarted at ${formatClock(DETECTED)}`,
    );
    expect(formatClock(DETECTED)).toMatch(/^\d\d:\d\d$/);
    expect(root.querySelector('.detail')!.textContent).toBe(MESSAGE);
  });

  it('stays until dismissed, then the jobs get the banner back and it does not return', async () => {
    const p = page();
    p.fire('comfyume.relay', {
      connected: true,
      dataLost: { detectedAt: DETECTED, message: MESSAGE },
    });
    expect((await p.render()).querySelector('.banner')!.getAttribute('data-phase')).toBe(
      'data_lost',
    );
    expect((await p.render()).querySelector('.banner')!.getAttribute('data-phase')).toBe(
      'data_lost',
    );
    (p.banner.shadowRoot!.querySelector('.close') as HTMLButtonElement).click();
    p.fire('comfyume.job', {
      id: 'j2',
      state: 'queued',
      createdAt: DETECTED + 1_000,
      executedNodes: [],
      cachedNodes: [],
      outputs: {},
      statusMessages: [],
    });
    const root = await p.render();
    expect(root.querySelector('.banner')!.getAttribute('data-phase')).toBe('queued');
    // The relay keeps reporting the same loss: still dismissed.
    p.fire('comfyume.relay', {
      connected: true,
      dataLost: { detectedAt: DETECTED, message: MESSAGE },
    });
    expect((await p.render()).querySelector('.banner')!.getAttribute('data-phase')).toBe('queued');
  });

  it('leaves the unreachable banner first, and ignores a malformed report', async () => {
    const p = page();
    p.fire('comfyume.relay', {
      connected: false,
      message: 'The GPU queue service is unreachable; reconnecting.',
      dataLost: { detectedAt: DETECTED, message: MESSAGE },
    });
    expect((await p.render()).querySelector('.banner')!.getAttribute('data-phase')).toBe('offline');
    p.fire('comfyume.relay', {
      connected: true,
      dataLost: { detectedAt: 'soon', message: MESSAGE },
    });
    expect(p.state().relay).toEqual({ connected: true });
    expect(await p.render().then((root) => root.querySelector('.banner'))).toBeNull();
  });
});
