/**
 * A tracker mounted into a container the way the stock frontend hands it over
 * (ExtensionSlot.vue in 1.35.9 and 1.45.0: `render(el)` before `el` is in the document, again on
 * re-render, a fresh `el` when the tab is shown again, no `destroy` on a tab switch) stays current.
 * The regression it guards: main at 0f8200f dropped every tracker not connected at render time,
 * so the real frontends showed "No jobs yet" forever.
 */
import { afterEach, describe, expect, it } from 'vitest';
import '../components/job-tracker/job-tracker';
import type { JobTracker } from '../components/job-tracker/job-tracker';
import type { TrackedJob } from '../state/jobs-state';
import { mountInSlot } from './host-slot';
import { bindWhileConnected, LiveValue } from './live-value';
import type { TrackerModel } from './job-status';

const job = (id: string): TrackedJob => ({
  id,
  state: 'done',
  createdAt: 1,
  finishedAt: 2,
  outputs: {},
  updatedAt: 2,
  source: 'relay',
});
const model = (ids: string[]): TrackerModel => ({
  jobs: ids.map(job),
  now: 10,
  status: 'live · 0 active',
  statusBad: false,
});

function setup() {
  const source = new LiveValue<TrackerModel>(model([]));
  const created: JobTracker[] = [];
  const render = (el: HTMLElement) =>
    mountInSlot(el, 'comfyume-job-tracker', () => {
      const tracker = document.createElement('comfyume-job-tracker');
      bindWhileConnected(tracker, source, (t, m) => Object.assign(t, m));
      created.push(tracker);
      return tracker;
    });
  return { source, created, render };
}

async function rows(tracker: JobTracker): Promise<string[]> {
  await tracker.updateComplete;
  return [...tracker.shadowRoot!.querySelectorAll('li')].map((li) => li.dataset.jobId!);
}

afterEach(() => document.body.replaceChildren());

describe('mountInSlot + bindWhileConnected', () => {
  it('fills a tracker rendered into a detached element once the host connects it', async () => {
    const { source, render } = setup();
    const el = document.createElement('div');
    const tracker = render(el);
    source.set(model(['a']));
    expect(source.subscribers).toBe(0); // not in the document: nothing to update yet
    document.body.append(el);
    expect(await rows(tracker)).toEqual(['a']);
    source.set(model(['b', 'a']));
    expect(await rows(tracker)).toEqual(['b', 'a']);
  });

  it('is idempotent when the host calls render again on the same element', async () => {
    const { source, created, render } = setup();
    const el = document.createElement('div');
    render(el);
    document.body.append(el);
    render(el);
    expect(created).toHaveLength(1);
    expect(el.children).toHaveLength(1);
    source.set(model(['a']));
    expect(await rows(created[0]!)).toEqual(['a']);
  });

  it('lets go when removed, and catches up when re-parented or mounted again', async () => {
    const { source, render } = setup();
    const el = document.createElement('div');
    const tracker = render(el);
    document.body.append(el);
    el.remove(); // a tab switch: no destroy() is called
    expect(source.subscribers).toBe(0);
    source.set(model(['while-away']));
    const other = document.createElement('section');
    document.body.append(other);
    other.append(el); // the host moves it
    expect(await rows(tracker)).toEqual(['while-away']);
    const fresh = document.createElement('div'); // shown again: a new element
    const second = render(fresh);
    document.body.append(fresh);
    source.set(model(['x']));
    expect(await rows(second)).toEqual(['x']);
    expect(await rows(tracker)).toEqual(['x']);
  });

  it('replaces what another extension left in a reused container', () => {
    const { render } = setup();
    const el = document.createElement('div');
    el.append(document.createElement('p'));
    const tracker = render(el);
    expect([...el.children]).toEqual([tracker]);
  });
});
