import { describe, expect, it } from 'vitest';
import { describeBanner } from './banner-text';
import type { TrackedJob } from './jobs-state';

const NOW = 1_000_000;
const job = (over: Partial<TrackedJob>): TrackedJob => ({
  id: over.id ?? 'j1',
  state: 'queued',
  createdAt: NOW - 5_000,
  outputs: {},
  updatedAt: NOW,
  source: 'relay',
  ...over,
});
const titles: Record<string, string> = { '3': 'KSampler (Advanced)', '9': 'Save Image' };
const say = (jobs: TrackedJob[], extra: Partial<Parameters<typeof describeBanner>[0]> = {}) =>
  describeBanner({ jobs, now: NOW, sending: 0, nodeTitle: (id) => titles[id], ...extra });

describe('describeBanner', () => {
  it('is silent with nothing to say', () => {
    expect(say([])).toBeNull();
  });

  it('says Sending while this tab posts a prompt', () => {
    expect(say([], { sending: 1 })).toMatchObject({ phase: 'sending', title: 'Sending…' });
  });

  it('gives the queue position and the relay ETA, and no ETA when the relay gave none', () => {
    const v = say([job({ position: 3, queueLength: 7, etaAt: NOW + 41_000 })]);
    expect(v).toMatchObject({
      phase: 'queued',
      title: 'Queued — position 3 of 7',
      detail: 'Starts in ~40 s',
    });
    expect(say([job({ position: 1 })])!.detail).toBe('Waiting for a GPU · 5 s');
  });

  it('names the cold start with its elapsed time', () => {
    const v = say([job({ state: 'warming_up', coldStartSince: NOW - 45_000 })]);
    expect(v).toMatchObject({ phase: 'warming_up', tone: 'warning', title: 'GPU warming up' });
    expect(v!.detail).toContain('Cold start, 45 s so far');
  });

  it('shows the running node by its title in the graph, the step and the elapsed time', () => {
    const v = say([
      job({
        state: 'running',
        startedAt: NOW - 12_000,
        progress: { nodeId: '3', nodeType: 'KSamplerAdvanced', value: 7, max: 20 },
      }),
    ]);
    expect(v).toMatchObject({
      phase: 'running',
      title: 'Running KSampler (Advanced)',
      detail: 'Step 7 of 20 · 12 s',
      progress: 0.35,
    });
    const untitled = say([
      job({
        state: 'running',
        startedAt: NOW,
        progress: { nodeId: '77', nodeType: 'VAEDecode', value: 0, max: 1 },
      }),
    ]);
    expect(untitled!.title).toBe('Running VAEDecode');
    expect(say([job({ state: 'running', startedAt: NOW - 2_000 })])).toMatchObject({
      title: 'Running',
      detail: '2 s',
    });
  });

  it('says Saving outputs while the outputs are fetched', () => {
    expect(say([job({ state: 'fetching_outputs', startedAt: NOW - 3_000 })])).toMatchObject({
      phase: 'saving',
      title: 'Saving outputs',
    });
  });

  it('says what the time beside "Starting on the GPU" counts', () => {
    expect(say([job({ state: 'submitting', createdAt: NOW - 19_000 })])).toMatchObject({
      title: 'Starting on the GPU',
      detail: 'Queued 19 s ago',
    });
  });

  it('reports done with the total time since queueing', () => {
    const v = say([job({ state: 'done', createdAt: NOW - 80_000, finishedAt: NOW - 8_000 })]);
    expect(v).toMatchObject({ phase: 'done', tone: 'success', title: 'Done in 72 s' });
    expect(say([job({ state: 'done', createdAt: NOW - 300, finishedAt: NOW })])!.title).toBe(
      'Done in 0.3 s',
    );
  });

  it('reports a failure with its reason and the node title, id and type', () => {
    const v = say([
      job({
        state: 'failed',
        finishedAt: NOW,
        error: { message: 'CUDA out of memory', nodeId: '9', nodeType: 'SaveImage' },
      }),
    ]);
    expect(v).toMatchObject({
      phase: 'failed',
      tone: 'danger',
      title: 'Failed: CUDA out of memory',
      detail: 'in Save Image (node #9, SaveImage)',
    });
    const jobLevel = say([
      job({
        state: 'failed',
        finishedAt: NOW,
        error: {
          message: 'prompt never appeared on any replica after 600 s',
          nodeId: '',
          nodeType: '',
        },
      }),
    ]);
    expect(jobLevel!.detail).toBeUndefined();
  });

  it('reports cancelled, and forgets finished jobs after a while', () => {
    expect(say([job({ state: 'cancelled', finishedAt: NOW })])!.title).toBe('Cancelled');
    expect(
      say([job({ state: 'done', finishedAt: NOW - 11 * 60_000, updatedAt: NOW - 11 * 60_000 })]),
    ).toBeNull();
  });

  it('summarises several jobs with the next start', () => {
    const v = say([
      job({
        id: 'a',
        state: 'running',
        startedAt: NOW - 1_000,
        progress: { nodeId: '3', value: 1, max: 20 },
      }),
      job({ id: 'b', position: 1, etaAt: NOW + 40_000 }),
      job({ id: 'c', position: 2, etaAt: NOW + 90_000 }),
    ]);
    expect(v!.phase).toBe('summary');
    expect(v!.title).toBe('3 jobs: 1 running, 2 queued — next in ~40 s');
    expect(v!.detail).toContain('Running KSampler (Advanced)');
  });

  it('puts the relay being unreachable first', () => {
    const v = say([job({})], {
      relay: { connected: false, message: 'relay unreachable since 12:01' },
    });
    expect(v).toMatchObject({
      phase: 'offline',
      tone: 'danger',
      detail: 'relay unreachable since 12:01',
    });
  });

  it('changes the dismissal key when the outcome arrives, not on every step', () => {
    const running = say([job({ state: 'running', progress: { nodeId: '3', value: 1, max: 9 } })])!;
    const later = say([job({ state: 'running', progress: { nodeId: '3', value: 5, max: 9 } })])!;
    const done = say([job({ state: 'done', finishedAt: NOW })])!;
    expect(later.key).toBe(running.key);
    expect(done.key).not.toBe(running.key);
  });
});

describe('describeBanner in a room', () => {
  it('settles "Done" and "Cancelled" to a compact chip after the settle time, from when the tab learnt it', () => {
    const done = job({
      state: 'done',
      createdAt: NOW - 20_000,
      finishedAt: NOW - 4_000,
      updatedAt: NOW - 4_000,
    });
    const fresh = say([done], { settleMs: 5_000 })!;
    expect(fresh.title).toBe('Done in 16 s');
    expect(fresh.compact).toBeUndefined();
    const settled = say([{ ...done, updatedAt: NOW - 5_000 }], { settleMs: 5_000 })!;
    expect(settled).toMatchObject({
      phase: 'done',
      title: 'Done in 16 s',
      compact: true,
      detail: undefined,
    });
    expect(settled.key).toBe(say([done])!.key); // a dismissed Done stays dismissed when it settles
    expect(say([job({ state: 'cancelled', updatedAt: NOW - 6_000 })])).toMatchObject({
      compact: true,
    });
    expect(
      say([{ ...done, updatedAt: NOW - 60_000 }], { settleMs: Infinity })!.compact,
    ).toBeUndefined();
  });

  it('keeps a failure in full until dismissed, however old', () => {
    const failed = job({
      state: 'failed',
      finishedAt: NOW - 3 * 3_600_000,
      updatedAt: NOW - 3 * 3_600_000,
      error: { message: 'boom', nodeId: '', nodeType: '' },
    });
    const v = say([failed], { settleMs: 1_000 })!;
    expect(v).toMatchObject({ phase: 'failed', title: 'Failed: boom' });
    expect(v.compact).toBeUndefined();
  });

  it('leaves step progress to a host that draws its own, and says where the job runs and how long is left', () => {
    const running = job({
      state: 'running',
      startedAt: NOW - 12_000,
      etaAt: NOW + 31_000,
      progress: { nodeId: '3', nodeType: 'KSamplerAdvanced', value: 7, max: 20 },
    });
    const v = say([running], { hostShowsProgress: true })!;
    expect(v).toMatchObject({
      phase: 'running',
      title: 'Running on the GPU',
      detail: '12 s · ~30 s left',
    });
    expect(v.progress).toBeUndefined();
    const summary = say([running, job({ id: 'q', position: 1, etaAt: NOW + 40_000 })], {
      hostShowsProgress: true,
    })!;
    expect(summary.progress).toBeUndefined();
    // What the host cannot know is still said: queue position, warm-up.
    expect(say([job({ position: 2, queueLength: 4 })], { hostShowsProgress: true })!.title).toBe(
      'Queued — position 2 of 4',
    );
    expect(
      say([job({ state: 'warming_up', coldStartSince: NOW - 9_000 })], { hostShowsProgress: true })!
        .title,
    ).toBe('GPU warming up');
  });
});
