/**
 * @fileoverview Forwards this tab's ComfyUI socket events into the shared job worker: our
 * `comfyume.job` / `comfyume.relay` messages, the native execution events, and whether the socket
 * is up (the worker polls while no tab has a live socket). Also counts prompts being sent.
 */
import type { JobsAction, JobSnapshot } from '../state/jobs-state';

/** The part of ComfyUI's `api` we use: an EventTarget that forwards unknown WS types we listen to. */
export type ApiEvents = Pick<EventTarget, 'addEventListener' | 'removeEventListener'>;

export type FeedSink = {
  dispatch(action: JobsAction): unknown;
  setSocket(open: boolean): unknown;
  /** Prompts this tab is posting right now. */
  sending(count: number): void;
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

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Subscribes; returns the unsubscribe function. */
export function connectJobFeed(api: ApiEvents, sink: FeedSink, now: () => number = Date.now): () => void {
  const listeners: [string, (e: Event) => void][] = [];
  const on = (type: string, fn: (detail: unknown) => void) => {
    const l = (e: Event) => fn((e as CustomEvent).detail);
    api.addEventListener(type, l);
    listeners.push([type, l]);
  };
  let sending = 0;
  let sendingTimer: ReturnType<typeof setTimeout> | undefined;
  const known = new Set<string>();
  const setSending = (n: number, safetyMs = 30_000) => {
    sending = Math.max(0, n);
    sink.sending(sending);
    if (sendingTimer) clearTimeout(sendingTimer);
    // A failed POST, or a server that never reports the job: do not say "Sending" forever.
    if (sending > 0) sendingTimer = setTimeout(() => setSending(0), safetyMs);
  };
  /** "Sending" ends when the new job shows up, not when the POST returns: otherwise the banner
   *  would flash the previous job's outcome in between. */
  const seen = (id: unknown) => {
    if (typeof id !== 'string' || known.has(id)) return;
    known.add(id);
    if (sending) setSending(sending - 1);
  };

  on('comfyume.job', (d) => {
    if (isRecord(d) && typeof d.id === 'string' && typeof d.state === 'string') {
      sink.dispatch({ type: 'snapshot', job: d as unknown as JobSnapshot, at: now() });
      seen(d.id);
    }
  });
  on('comfyume.relay', (d) => {
    if (isRecord(d) && typeof d.connected === 'boolean') {
      sink.dispatch({ type: 'relay', connected: d.connected, message: typeof d.message === 'string' ? d.message : undefined });
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
  const batch = (d: unknown) => (isRecord(d) && typeof d.batchCount === 'number' && d.batchCount > 0 ? d.batchCount : 1);
  on('promptQueueing', (d) => setSending(sending + batch(d)));
  // Answered: the jobs' own events end "Sending" (see `seen`; the sidecar announces an accepted
  // job within milliseconds). None after 1.5 s means the POST was refused: the host shows why.
  on('promptQueued', () => setSending(sending, 1_500));

  return () => {
    for (const [type, l] of listeners) api.removeEventListener(type, l);
    if (sendingTimer) clearTimeout(sendingTimer);
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
  private sendingCount = 0;

  dispatch(action: JobsAction): void {
    if (this.target) this.target.dispatch(action);
    else this.actions.push(action);
  }
  setSocket(open: boolean): void {
    if (this.target) this.target.setSocket(open);
    else this.socket = open;
  }
  sending(count: number): void {
    this.sendingCount = count;
    this.target?.sending(count);
  }

  /** Replays what was held, then forwards everything to `target`. */
  attach(target: FeedSink): void {
    this.target = target;
    if (this.socket !== undefined) target.setSocket(this.socket);
    for (const action of this.actions.splice(0)) target.dispatch(action);
    if (this.sendingCount) target.sending(this.sendingCount);
  }
}
