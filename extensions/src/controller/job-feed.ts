/**
 * @fileoverview Forwards this tab's ComfyUI socket events into the shared job worker: our
 * `comfyume.job` / `comfyume.relay` messages, the native execution events, and whether the socket
 * is up (the worker polls while no tab has a live socket). Reports every job id it sees, which
 * ends that prompt's "Sending…" (prompt-sending.ts).
 */
import type { JobsAction, JobSnapshot } from '../state/jobs-state';

/** The part of ComfyUI's `api` we use: an EventTarget that forwards unknown WS types we listen to. */
export type ApiEvents = Pick<EventTarget, 'addEventListener' | 'removeEventListener'>;

export type FeedSink = {
  dispatch(action: JobsAction): unknown;
  setSocket(open: boolean): unknown;
};

export type FeedOptions = {
  now?: () => number;
  /** Called with the id of every job an event names. */
  seen?: (id: string) => void;
};

const nativeTypes = [
  'execution_start',
  'execution_cached',
  'progress',
  'executed',
  'execution_success',
  'execution_error',
  'execution_interrupted',
] as const;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Subscribes; returns the unsubscribe function. */
export function connectJobFeed(
  api: ApiEvents,
  sink: FeedSink,
  options: FeedOptions = {},
): () => void {
  const now = options.now ?? Date.now;
  const listeners: [string, (e: Event) => void][] = [];
  const on = (type: string, fn: (detail: unknown) => void) => {
    const l = (e: Event) => fn((e as CustomEvent).detail);
    api.addEventListener(type, l);
    listeners.push([type, l]);
  };
  const seen = (id: unknown) => {
    if (typeof id === 'string' && id) options.seen?.(id);
  };

  on('comfyume.job', (d) => {
    if (isRecord(d) && typeof d.id === 'string' && typeof d.state === 'string') {
      sink.dispatch({ type: 'snapshot', job: d as unknown as JobSnapshot, at: now() });
      seen(d.id);
    }
  });
  on('comfyume.relay', (d) => {
    if (isRecord(d) && typeof d.connected === 'boolean') {
      const lost = d.dataLost;
      const dataLost =
        isRecord(lost) && typeof lost.detectedAt === 'number' && typeof lost.message === 'string'
          ? { detectedAt: lost.detectedAt, message: lost.message }
          : undefined;
      sink.dispatch({
        type: 'relay',
        connected: d.connected,
        message: typeof d.message === 'string' ? d.message : undefined,
        ...(dataLost ? { dataLost } : {}),
      });
    }
  });
  for (const type of nativeTypes) {
    on(type, (d) => {
      if (!isRecord(d)) return;
      sink.dispatch({ type: 'comfy', message: { type, data: d }, at: now() });
      seen(d.prompt_id);
    });
  }
  // `status` with data means the socket is up (the first frame after connect); null means it closed.
  on('status', (d) => sink.setSocket(d !== null && d !== undefined));
  on('reconnecting', () => sink.setSocket(false));
  on('reconnected', () => sink.setSocket(true));
  return () => {
    for (const [type, l] of listeners) api.removeEventListener(type, l);
  };
}

/**
 * Holds what the feed delivers until the worker is connected. The feed must be connected when our
 * module is imported: the stock frontend opens its socket before `setup`, and it drops (with an
 * "Unknown message type" warning) any custom frame nobody listens to yet.
 */
export class BufferedSink implements FeedSink {
  private target: FeedSink | undefined;
  private readonly actions: JobsAction[] = [];
  private socket: boolean | undefined;

  dispatch(action: JobsAction): void {
    if (this.target) this.target.dispatch(action);
    else this.actions.push(action);
  }
  setSocket(open: boolean): void {
    if (this.target) this.target.setSocket(open);
    else this.socket = open;
  }
  /** Replays what was held, then forwards everything to `target`. */
  attach(target: FeedSink): void {
    this.target = target;
    if (this.socket !== undefined) target.setSocket(this.socket);
    for (const action of this.actions.splice(0)) target.dispatch(action);
  }
}
