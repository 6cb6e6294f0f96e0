/**
 * @fileoverview The heart of the WebSocket merge, as a pure state machine: relay events in, an
 * ordered list of actions out, so the browser sees ComfyUI's own order (comfyui-protocol.md §2.8):
 *
 *   status → execution_start → execution_cached → (progress_state, executing, progress, executed…)*
 *   → execution_success | execution_error | execution_interrupted → status → executing{node:null}
 *
 * It also keeps this user's jobs (the "book") so `status.queue_remaining` is right at every step.
 * It never touches sockets, files or timers: the runner (event-pipeline.ts) performs the actions,
 * fetches outputs before an `executed`, and feeds timer expiries back in. Rules:
 *  - duplicated starts/caches are dropped; the relay's own `executing{node:null}` and `status` are
 *    dropped (the sequencer emits them itself, after `status` is recomputed);
 *  - a terminal ComfyUI message is held until the relay's job record is terminal too (so /history
 *    and /api/jobs already show it when the UI refetches), or until a timeout;
 *  - a job that reaches `running` or a terminal state without ComfyUI messages (serverless, or a
 *    failure before the GPU) gets a minimal native sequence synthesised after a grace period;
 *  - a job cancelled while still queued only produces `status`, as ComfyUI's queue delete does.
 */
import type { JobEvent } from '../../../protocol/src/relay/events';
import { isTerminal, type JobView } from '../../../protocol/src/relay/job';
import { hasStarted, isTerminalMessage, terminalMessage } from '../shapes/messages';

export type JobSnapshot = JobEvent['job'];
export type WsMessage = { type: string; data: Record<string, unknown> };

export type Action =
  | { kind: 'status' }
  | { kind: 'message'; jobId: string; clientId: string; message: WsMessage }
  | { kind: 'preview'; jobId: string; clientId: string; frame: Uint8Array }
  | { kind: 'comfyume'; message: { type: 'comfyume.job'; data: JobSnapshot } }
  | { kind: 'timer'; jobId: string; ms: number; timer: TimerKind; token: number };

export type TimerKind = 'start' | 'terminal' | 'hold';

type Timeline = {
  jobId: string;
  clientId: string;
  started: boolean;
  cachedSent: boolean;
  ended: boolean;
  executedSent: Set<string>;
  pendingTerminal?: WsMessage;
  lastExecuting?: { node: string; display_node: string };
  lastProgressState?: Record<string, unknown>;
  timerToken: number;
  pendingTimer?: TimerKind;
};

export type SequencerOptions = { synthGraceMs: number; terminalHoldMs: number; now?: () => number };

const MAX_ENDED = 2_000;

export class JobSequencer {
  private readonly book = new Map<string, JobSnapshot>();
  private readonly timelines = new Map<string, Timeline>();
  private readonly now: () => number;

  constructor(private readonly options: SequencerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** This user's queued + running jobs, as ComfyUI counts `queue_remaining` (running counts). */
  activeCount(): number {
    let n = 0;
    for (const job of this.book.values()) if (this.isActive(job)) n++;
    return n;
  }

  /** Job ids of this user's jobs that are neither finished nor cancelled, with their state. */
  activeJobs(): JobSnapshot[] {
    return [...this.book.values()].filter((job) => this.isActive(job));
  }

  job(id: string): JobSnapshot | undefined {
    return this.book.get(id);
  }

  /** Replaces the book's active jobs with the relay's list (after a (re)connect). */
  seed(active: readonly JobSnapshot[]): void {
    for (const [id, job] of this.book) if (!isTerminal(job.state)) this.book.delete(id);
    for (const job of active) this.book.set(job.id, job);
  }

  /** A job the sidecar itself just submitted (before any relay event about it). */
  submitted(job: JobView): Action[] {
    const { prompt: _p, extraData: _e, ...snapshot } = job;
    this.book.set(job.id, snapshot);
    this.timeline(job.id, job.clientId);
    return [{ kind: 'status' }];
  }

  onJob(job: JobSnapshot): Action[] {
    this.book.set(job.id, job);
    const actions: Action[] = [{ kind: 'comfyume', message: { type: 'comfyume.job', data: job } }];
    const tl = this.timeline(job.id, job.clientId);
    if (tl.ended) return actions;
    if (!isTerminal(job.state)) {
      if (job.state !== 'queued' && !tl.started && tl.pendingTimer !== 'start') {
        actions.push(this.timer(tl, 'start', this.options.synthGraceMs));
      }
      return actions;
    }
    if (tl.pendingTerminal) return [...actions, ...this.flushTerminal(tl)];
    if (!tl.started && job.state === 'cancelled' && !hasStarted(job)) {
      this.end(tl);
      return [...actions, { kind: 'status' }];
    }
    if (tl.pendingTimer === 'terminal') return actions;
    return [...actions, this.timer(tl, 'terminal', this.options.synthGraceMs)];
  }

  onComfy(jobId: string, clientId: string, message: WsMessage): Action[] {
    const tl = this.timeline(jobId, clientId);
    if (tl.ended) return [];
    const { type, data } = message;
    if (type === 'status') return [];
    if (type === 'execution_start') {
      if (tl.started) return [];
      tl.started = true;
      this.cancelTimer(tl);
      return [{ kind: 'status' }, this.msg(tl, message)];
    }
    if (type === 'executing' && data.node === null) return [];
    const actions = this.ensureStarted(tl, type !== 'execution_cached');
    if (type === 'execution_cached') {
      if (tl.cachedSent) return actions;
      tl.cachedSent = true;
      return [...actions, this.msg(tl, message)];
    }
    if (isTerminalMessage(type)) {
      tl.pendingTerminal = message;
      const job = this.book.get(jobId);
      if (job && isTerminal(job.state)) return [...actions, ...this.flushTerminal(tl)];
      return [...actions, this.timer(tl, 'hold', this.options.terminalHoldMs)];
    }
    if (type === 'executing' && typeof data.node === 'string') {
      tl.lastExecuting = { node: data.node, display_node: String(data.display_node ?? data.node) };
    } else if (type === 'progress_state') {
      tl.lastProgressState = data;
    } else if (type === 'executed' && typeof data.node === 'string') {
      tl.executedSent.add(data.node);
    }
    return [...actions, this.msg(tl, message)];
  }

  onPreview(jobId: string, frame: Uint8Array): Action[] {
    const tl = this.timelines.get(jobId);
    const clientId = tl?.clientId ?? this.book.get(jobId)?.clientId;
    if (tl?.ended || clientId === undefined) return [];
    return [{ kind: 'preview', jobId, clientId, frame }];
  }

  onTimer(jobId: string, timer: TimerKind, token: number): Action[] {
    const tl = this.timelines.get(jobId);
    if (!tl || tl.ended || tl.timerToken !== token) return [];
    tl.pendingTimer = undefined;
    const job = this.book.get(jobId);
    if (timer === 'start') return job && !isTerminal(job.state) && job.state !== 'queued' ? this.ensureStarted(tl, true) : [];
    if (timer === 'hold') return tl.pendingTerminal ? this.flushTerminal(tl) : [];
    return job ? this.synthesiseRest(tl, job) : [];
  }

  /** What a reconnecting browser tab needs to see its running job again. */
  snapshotFor(clientId: string): Action[] {
    const actions: Action[] = [];
    for (const tl of this.timelines.values()) {
      if (tl.clientId !== clientId || !tl.started || tl.ended) continue;
      if (tl.lastExecuting) {
        actions.push(this.msg(tl, { type: 'executing', data: { ...tl.lastExecuting, prompt_id: tl.jobId } }));
      }
      if (tl.lastProgressState) actions.push(this.msg(tl, { type: 'progress_state', data: tl.lastProgressState }));
    }
    return actions;
  }

  private isActive(job: JobSnapshot): boolean {
    return !isTerminal(job.state) && !this.timelines.get(job.id)?.ended;
  }

  private timeline(jobId: string, clientId: string): Timeline {
    let tl = this.timelines.get(jobId);
    if (!tl) {
      tl = { jobId, clientId, started: false, cachedSent: false, ended: false, executedSent: new Set(), timerToken: 0 };
      this.timelines.set(jobId, tl);
    } else if (!tl.clientId && clientId) {
      tl.clientId = clientId;
    }
    return tl;
  }

  private msg(tl: Timeline, message: WsMessage): Action {
    return { kind: 'message', jobId: tl.jobId, clientId: tl.clientId, message };
  }

  private timer(tl: Timeline, timer: TimerKind, ms: number): Action {
    tl.timerToken++;
    tl.pendingTimer = timer;
    return { kind: 'timer', jobId: tl.jobId, ms, timer, token: tl.timerToken };
  }

  private cancelTimer(tl: Timeline): void {
    tl.timerToken++;
    tl.pendingTimer = undefined;
  }

  private ensureStarted(tl: Timeline, withCached: boolean): Action[] {
    if (tl.started) return [];
    tl.started = true;
    if (tl.pendingTimer === 'start') this.cancelTimer(tl);
    const timestamp = this.now();
    const actions: Action[] = [
      { kind: 'status' },
      this.msg(tl, { type: 'execution_start', data: { prompt_id: tl.jobId, timestamp } }),
    ];
    if (withCached && !tl.cachedSent) {
      tl.cachedSent = true;
      const nodes = [...(this.book.get(tl.jobId)?.cachedNodes ?? [])];
      actions.push(this.msg(tl, { type: 'execution_cached', data: { nodes, prompt_id: tl.jobId, timestamp } }));
    }
    return actions;
  }

  /** No (or no more) ComfyUI messages for a finished job: outputs not yet shown, then its end. */
  private synthesiseRest(tl: Timeline, job: JobSnapshot): Action[] {
    const actions = this.ensureStarted(tl, true);
    if (job.state === 'done') {
      for (const [node, output] of Object.entries(job.outputs)) {
        if (tl.executedSent.has(node)) continue;
        tl.executedSent.add(node);
        actions.push(
          this.msg(tl, { type: 'executed', data: { node, display_node: node, output, prompt_id: job.id } }),
        );
      }
    }
    const end = terminalMessage(job, this.now());
    if (end) tl.pendingTerminal = { type: end[0], data: end[1] };
    return [...actions, ...this.flushTerminal(tl)];
  }

  private flushTerminal(tl: Timeline): Action[] {
    const terminal = tl.pendingTerminal;
    this.end(tl);
    const actions: Action[] = [];
    if (terminal) actions.push(this.msg(tl, terminal));
    actions.push({ kind: 'status' });
    actions.push(this.msg(tl, { type: 'executing', data: { node: null, prompt_id: tl.jobId } }));
    return actions;
  }

  private end(tl: Timeline): void {
    tl.ended = true;
    tl.pendingTerminal = undefined;
    this.cancelTimer(tl);
    tl.lastExecuting = undefined;
    tl.lastProgressState = undefined;
    this.prune();
  }

  /** Forget the oldest finished jobs so a long workshop does not grow the maps without bound. */
  private prune(): void {
    if (this.timelines.size <= MAX_ENDED) return;
    for (const [id, tl] of this.timelines) {
      if (this.timelines.size <= MAX_ENDED / 2) break;
      if (!tl.ended) continue;
      this.timelines.delete(id);
      const job = this.book.get(id);
      if (job && isTerminal(job.state)) this.book.delete(id);
    }
  }
}
