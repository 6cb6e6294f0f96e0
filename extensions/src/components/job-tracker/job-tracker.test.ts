import { afterEach, describe, expect, it } from 'vitest';
import './job-tracker';
import type { JobTracker } from './job-tracker';
import type { TrackedJob } from '../../state/jobs-state';

const NOW = 2_000_000;
const job = (over: Partial<TrackedJob>): TrackedJob => ({
  id: 'j',
  state: 'queued',
  createdAt: NOW - 10_000,
  outputs: {},
  updatedAt: NOW,
  source: 'relay',
  ...over,
});

async function mount(jobs: TrackedJob[]): Promise<JobTracker> {
  const el = document.createElement('comfyume-job-tracker');
  el.jobs = jobs;
  el.now = NOW;
  el.thumbUrl = (f) => `/api/view?filename=${f.filename}&type=${f.type}&subfolder=${f.subfolder}`;
  el.nodeTitle = (id) => (id === '9' ? 'Save Image' : undefined);
  document.body.append(el);
  await el.updateComplete;
  return el;
}

afterEach(() => document.body.replaceChildren());

describe('<comfyume-job-tracker>', () => {
  it('says so when there are no jobs', async () => {
    const el = await mount([]);
    expect(el.shadowRoot!.querySelector('.empty')!.textContent).toContain('No jobs yet');
  });

  it('lists jobs with state, position, ETA, thumbnail and the right action', async () => {
    const el = await mount([
      job({ id: 'q', number: 4, position: 2, queueLength: 3, etaAt: NOW + 30_000 }),
      job({
        id: 'd',
        state: 'done',
        number: 3,
        finishedAt: NOW - 1_000,
        outputs: {
          '9': { images: [{ filename: 'out.png', subfolder: 'comfyume', type: 'output' }] },
        },
      }),
      job({
        id: 'f',
        state: 'failed',
        number: 2,
        error: { message: 'Saving outside the output folder', nodeId: '9', nodeType: 'SaveImage' },
      }),
    ]);
    const rows = [...el.shadowRoot!.querySelectorAll('li')];
    expect(rows.map((r) => r.dataset.jobId)).toEqual(['q', 'd', 'f']);
    expect(rows[0]!.querySelector('.label')!.textContent).toBe('Queued · #5'); // number 4 is the fifth job
    expect(rows[1]!.querySelector('.label')!.textContent).toMatch(/^Done · #4/);
    expect(rows[0]!.querySelector('.line')!.textContent).toContain(
      'position 2 of 3 · starts in ~30 s',
    );
    expect(rows[0]!.querySelector('button.cancel')).not.toBeNull();
    expect(rows[1]!.querySelector('img')!.getAttribute('src')).toBe(
      '/api/view?filename=out.png&type=output&subfolder=comfyume',
    );
    expect(rows[1]!.querySelector('.line')!.textContent).toContain('in 9.0 s');
    expect(rows[1]!.querySelector('button.requeue')).not.toBeNull();
    expect(rows[2]!.querySelector('.error')!.textContent).toBe(
      'Saving outside the output folder — Save Image (node #9)',
    );
  });

  it('emits cancel and re-run with the job id', async () => {
    const el = await mount([
      job({ id: 'run', state: 'running' }),
      job({ id: 'old', state: 'cancelled' }),
    ]);
    const got: string[] = [];
    el.addEventListener('comfyume-job-cancel', (e) => got.push(`cancel:${e.detail.id}`));
    el.addEventListener('comfyume-job-requeue', (e) => got.push(`requeue:${e.detail.id}`));
    (
      el.shadowRoot!.querySelector('li[data-job-id="run"] button.cancel') as HTMLButtonElement
    ).click();
    (
      el.shadowRoot!.querySelector('li[data-job-id="old"] button.requeue') as HTMLButtonElement
    ).click();
    expect(got).toEqual(['cancel:run', 'requeue:old']);
  });

  it('shows the gallery toggle once the opt-out is known, and asks to change it', async () => {
    const el = await mount([]);
    expect(el.shadowRoot!.querySelector('label.gallery')).toBeNull();
    el.galleryOptOut = false;
    await el.updateComplete;
    const box = el.shadowRoot!.querySelector('label.gallery input') as HTMLInputElement;
    expect(box.checked).toBe(true);
    const wishes: boolean[] = [];
    el.addEventListener('comfyume-gallery-opt-out', (e) => wishes.push(e.detail.optOut));
    box.click();
    expect(wishes).toEqual([true]);
    el.galleryOptOut = true;
    await el.updateComplete;
    expect(box.checked).toBe(false);
  });
});
