/** The feed turns api events (a real EventTarget, as ComfyUI's api is) into worker actions. */
import { describe, expect, it } from 'vitest';
import { connectJobFeed } from './job-feed';
import type { JobsAction } from '../state/jobs-state';

function setup() {
  const api = new EventTarget();
  const actions: JobsAction[] = [];
  const sockets: boolean[] = [];
  const seen: string[] = [];
  const stop = connectJobFeed(
    api,
    { dispatch: (a) => actions.push(a), setSocket: (o) => sockets.push(o) },
    { now: () => 42, seen: (id) => seen.push(id) },
  );
  const fire = (type: string, detail?: unknown) =>
    api.dispatchEvent(new CustomEvent(type, { detail }));
  return { actions, sockets, seen, stop, fire };
}

describe('connectJobFeed', () => {
  it('forwards comfyume.job snapshots and relay status', () => {
    const f = setup();
    f.fire('comfyume.job', { id: 'j', state: 'queued', outputs: {} });
    f.fire('comfyume.relay', { connected: false, message: 'down' });
    f.fire('comfyume.job', { nonsense: true });
    expect(f.actions).toEqual([
      { type: 'snapshot', job: { id: 'j', state: 'queued', outputs: {} }, at: 42 },
      { type: 'relay', connected: false, message: 'down' },
    ]);
  });

  it('forwards native execution events and ignores others', () => {
    const f = setup();
    f.fire('execution_start', { prompt_id: 'p', timestamp: 1 });
    f.fire('progress', { prompt_id: 'p', node: '3', value: 1, max: 2 });
    f.fire('b_preview', new Blob());
    expect(f.actions.map((a) => (a.type === 'comfy' ? a.message.type : a.type))).toEqual([
      'execution_start',
      'progress',
    ]);
  });

  it('tracks the socket from status / reconnecting / reconnected', () => {
    const f = setup();
    f.fire('status', { exec_info: { queue_remaining: 0 } });
    f.fire('status', null);
    f.fire('reconnecting');
    f.fire('reconnected');
    expect(f.sockets).toEqual([true, false, false, true]);
  });

  it('reports the id of every job an event names, and nothing after it is stopped', () => {
    const f = setup();
    f.fire('comfyume.job', { id: 'j1', state: 'queued' });
    f.fire('execution_start', { prompt_id: 'p2' });
    f.fire('progress', { node: '3', value: 1, max: 2 }); // no prompt id: nothing to report
    expect(f.seen).toEqual(['j1', 'p2']);
    f.stop();
    f.fire('execution_start', { prompt_id: 'p3' });
    expect(f.seen).toEqual(['j1', 'p2']);
  });
});

describe('BufferedSink', () => {
  it('holds events that arrive before the worker, then replays them in order', async () => {
    const { BufferedSink } = await import('./job-feed');
    const buffer = new BufferedSink();
    const api = new EventTarget();
    connectJobFeed(api, buffer, { now: () => 1 });
    api.dispatchEvent(new CustomEvent('status', { detail: { exec_info: { queue_remaining: 0 } } }));
    api.dispatchEvent(new CustomEvent('comfyume.relay', { detail: { connected: true } }));
    const got: unknown[] = [];
    buffer.attach({ dispatch: (a) => got.push(a.type), setSocket: (o) => got.push(`socket:${o}`) });
    api.dispatchEvent(new CustomEvent('execution_start', { detail: { prompt_id: 'p' } }));
    expect(got).toEqual(['socket:true', 'relay', 'comfy']);
  });
});
