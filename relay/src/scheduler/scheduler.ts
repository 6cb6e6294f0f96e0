/**
 * @fileoverview The dispatch loop of one relay: claims jobs (Lua, atomic across relays) while a
 * backend has a free slot, runs them, renews their leases on a heartbeat, takes over jobs whose
 * relay died (resumed through the backend, never resubmitted blindly), relays cancel requests,
 * and announces queue positions when they change: coalesced, at most once per `positionPushMs`
 * however many submits and claims happen meanwhile, and only the moves a user would notice (readers
 * compute exact positions on demand; the store never rewrites them per submit).
 */
import type { Logger } from 'pino';
import type { Backend } from '../backends/backend';
import type { Publisher } from '../events/publisher';
import type { JobStore } from '../jobs/job-store';
import type { StoredJob } from '../store/job-record';
import type { QueueInfo } from './queue-info';
import { jobErrorFrom, runJob, type RunDeps, type StopReason } from './run-job';

type Running = {
  abort: AbortController;
  backend: Backend;
  done: Promise<void>;
  cancelling: boolean;
  timer?: NodeJS.Timeout;
};

export type SchedulerOptions = {
  heartbeatMs: number;
  dispatchMs?: number;
  jobTimeoutMs: number;
  cancelGraceMs?: number;
  /** Position announcements are at most this often (default 1 s): a burst of submits is one round of frames. */
  positionPushMs?: number;
  /** A far-back job's move is announced when it reaches 1/share of its announced position (default 2: half). */
  positionShare?: number;
  /** Positions up to this one are announced at every change (default 5). */
  positionExactUpTo?: number;
  /** A backend the list does not hold yet (a pull worker that had the job on a relay that died). */
  resolveBackend?: (name: string) => Backend | undefined;
};

export class Scheduler {
  private readonly running = new Map<string, Running>();
  private timers: NodeJS.Timeout[] = [];
  private dispatching: Promise<void> | undefined;
  private again = false;
  private closed = false;
  private positionsTimer: NodeJS.Timeout | undefined;
  private positionsAt = 0;
  private readonly logger: Logger;

  constructor(
    private readonly deps: RunDeps,
    /** Live: pull workers join it as they connect. */
    private readonly backends: Backend[],
    private readonly publisher: Publisher,
    private readonly queue: QueueInfo,
    private readonly options: SchedulerOptions,
  ) {
    this.logger = deps.logger.child({ mod: 'scheduler' });
  }

  get store(): JobStore {
    return this.deps.store;
  }

  start(): void {
    this.timers.push(setInterval(() => this.kick(), this.options.dispatchMs ?? 500));
    this.timers.push(setInterval(() => void this.heartbeat(), this.options.heartbeatMs));
    void this.heartbeat();
    this.kick();
  }

  /** Dispatch now (after a submit, a finished job, or a "queue" control message). Coalesces. */
  kick(): void {
    if (this.closed) return;
    if (this.dispatching) {
      this.again = true;
      return;
    }
    this.dispatching = this.dispatch()
      .catch((error: Error) =>
        this.logger.debug({ err: error.message }, 'dispatch failed; will retry'),
      )
      .finally(() => {
        this.dispatching = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private backend(name: string): Backend | undefined {
    return this.backends.find((b) => b.name === name) ?? this.options.resolveBackend?.(name);
  }

  private slots(): { name: string; capacity: number }[] {
    return this.backends.map((b) => ({
      name: b.name,
      capacity: b.state() === 'down' ? 0 : b.capacity(),
    }));
  }

  private async dispatch(): Promise<void> {
    let claimed = false;
    while (!this.closed) {
      const next = await this.store.claim(this.deps.owner, this.slots());
      if (!next) break;
      claimed = true;
      this.deps.observe?.jobStateChanged('queued', 'submitting', next.backend);
      const job = next.job ?? (await this.store.get(next.id));
      const backend = this.backend(next.backend);
      if (!job || !backend) continue;
      this.launch(job.id, backend, false, job);
    }
    if (claimed) this.queueChanged();
  }

  /** Runs a claimed job; `claimed` is its record as the claim returned it (else it is read here). */
  private launch(jobId: string, backend: Backend, resume: boolean, claimed?: StoredJob): void {
    const abort = new AbortController();
    const entry: Running = { abort, backend, cancelling: false, done: Promise.resolve() };
    this.running.set(jobId, entry);
    entry.done = (async () => {
      const job = claimed ?? (await this.store.get(jobId));
      if (!job) return;
      const budget =
        this.options.jobTimeoutMs + 30_000 - (Date.now() - (job.claimedAt ?? Date.now()));
      entry.timer = setTimeout(() => this.stop(jobId, 'timeout'), Math.max(1_000, budget));
      await runJob(this.deps, job, backend, abort, resume);
    })()
      .catch((error: Error) =>
        this.logger.error({ jobId, err: error.message }, 'job runner crashed'),
      )
      .finally(() => {
        clearTimeout(entry.timer);
        this.running.delete(jobId);
        if (!this.closed) this.kick();
      });
  }

  /** Stop a local run; for cancel/timeout the GPU is asked to interrupt first and given a grace period. */
  private stop(jobId: string, reason: StopReason): void {
    const entry = this.running.get(jobId);
    if (!entry) return;
    if (reason === 'cancel' || reason === 'timeout') {
      if (entry.cancelling) return;
      entry.cancelling = true;
      entry.backend
        .cancel(jobId)
        .catch((error: Error) =>
          this.logger.warn({ jobId, err: error.message }, 'backend cancel failed'),
        );
      const grace = setTimeout(
        () => entry.abort.abort(reason),
        this.options.cancelGraceMs ?? 15_000,
      );
      grace.unref();
      if (reason === 'timeout') entry.abort.abort(reason);
      return;
    }
    entry.abort.abort(reason);
  }

  /** A cancel request for a job some relay runs (this one, if it is in `running`). */
  cancelRequested(jobId: string): void {
    this.stop(jobId, 'cancel');
  }

  isRunning(jobId: string): boolean {
    return this.running.has(jobId);
  }

  private async heartbeat(): Promise<void> {
    if (this.closed) return;
    try {
      const ids = [...this.running.keys()];
      const leases = await this.store.renew(this.deps.owner, ids);
      for (const [id, status] of leases) {
        if (status === 'lost') this.stop(id, 'lost');
        else if (status === 'cancel') this.stop(id, 'cancel');
      }
      for (let i = 0; i < 20 && !this.closed; i++) {
        const id = await this.store.takeover(this.deps.owner);
        if (!id) break;
        if (!this.running.has(id)) await this.resume(id);
      }
      await this.queue.refresh();
      await this.announcePositions();
    } catch (error) {
      this.logger.debug({ err: (error as Error).message }, 'heartbeat failed; will retry');
    }
  }

  private async resume(jobId: string): Promise<void> {
    const job = await this.store.get(jobId);
    if (!job) return;
    const backend = job.backend ? this.backend(job.backend) : undefined;
    this.logger.info(
      { jobId, backend: job.backend, state: job.state, submitAttemptedAt: job.submitAttemptedAt },
      'taking over a job whose relay stopped',
    );
    if (!backend) {
      const error = jobErrorFrom(
        `the GPU backend "${job.backend}" this job was running on is no longer configured on the relay`,
      );
      await this.store
        .finish(jobId, this.deps.owner, 'failed', { error }, 0)
        .catch(() => undefined);
      await this.publisher.job(jobId).catch(() => undefined);
      return;
    }
    this.launch(jobId, backend, true);
  }

  /**
   * The queue changed (a submit, a cancel, a lane change, a claim): announce the positions that
   * moved, at the latest `positionPushMs` from now, coalescing every change until then.
   */
  queueChanged(): void {
    if (this.closed || this.positionsTimer) return;
    const every = this.options.positionPushMs ?? 1_000;
    const wait = Math.max(0, this.positionsAt + every - Date.now());
    this.positionsTimer = setTimeout(() => {
      this.positionsTimer = undefined;
      this.positionsAt = Date.now();
      // Redis may be away right now; the next heartbeat announces positions again.
      this.announcePositions().catch((error: Error) =>
        this.logger.debug(
          { err: error.message },
          'announcing queue positions failed; the heartbeat retries',
        ),
      );
    }, wait);
  }

  /** Announce the queued jobs whose position moved enough (each change is claimed by exactly one relay in Lua). */
  private async announcePositions(): Promise<void> {
    const { changed } = await this.store.announcePositions(
      this.options.positionShare ?? 2,
      this.options.positionExactUpTo ?? 5,
    );
    if (changed.length === 0) return;
    await this.queue.refresh();
    const jobs = await this.store.getMany(changed.map((c) => c.id));
    for (const job of jobs) if (job.state === 'queued') await this.publisher.job(job);
  }

  /** Stop local runs without finishing them and hand their leases back, so a restart or a peer resumes them at once. */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    clearTimeout(this.positionsTimer);
    const ids = [...this.running.keys()];
    for (const id of ids) this.stop(id, 'shutdown');
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
    await this.dispatching?.catch(() => undefined);
    await this.store.release(this.deps.owner, ids).catch(() => undefined);
  }
}
