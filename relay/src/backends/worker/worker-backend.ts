/**
 * @fileoverview One pull worker as a Backend (`worker:<name>`, kind `pull`): the scheduler's Lua
 * routes to it like to any GPU (least busy, its announced capacity, counted across relays by name),
 * and it is `down` (no new jobs) while its socket is away.
 *
 * Leases: a worker whose socket closes keeps its jobs for WORKER_LEASE_MS; back in time, it gets
 * `run` again for each (from the first message the relay still needs) and goes on. Not back, each
 * job moves once to the least busy other live worker whose node set has the job's nodes, as the
 * next attempt (files under `@<n>/`, backendRef `<worker>#<n>`), or fails with the reason. The old
 * worker is told to drop a moved job whenever it shows up again, and its messages and uploads for
 * that attempt are refused, so a job never runs on two workers at once.
 */
import type { Logger } from 'pino';
import type { BackendKind, BackendState, WorkerToRelay } from '../../../../protocol/src/index';
import { RelayError } from '../../errors';
import type { Backend, BackendActivity, RunContext, RunResult, RunnableJob } from '../backend';
import { tagPrompt, TaggingError } from '../tagging';
import { failedResult, whereItDied, type AttemptEnd } from '../attempt-end';
import { parseWorkerRef, WorkerAttempt } from './worker-attempt';
import type { WorkerConnection } from './worker-connection';
import type { WorkerStaging } from './worker-staging';

/** The other workers of this relay, to move a job to (least busy live one with its nodes). */
export interface WorkerPeers {
  get(worker: string): WorkerBackend;
  pick(job: RunnableJob, except?: WorkerBackend): WorkerBackend | undefined;
}

export type WorkerBackendOptions = {
  worker: string;
  leaseMs: number;
  maxMoves: number;
  staging: WorkerStaging;
  peers: WorkerPeers;
  logger: Logger;
};

type Hello = Extract<WorkerToRelay, { type: 'hello' }>;

function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const stop = () => reject(new RelayError('internal', `run stopped (${String(signal.reason)})`));
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
  });
}

/** The class types a prompt names. */
export const classTypes = (prompt: Record<string, unknown>) =>
  Object.values(prompt).flatMap((node) => {
    const type = (node as { class_type?: unknown } | null)?.class_type;
    return typeof type === 'string' ? [type] : [];
  });

export class WorkerBackend implements Backend {
  readonly name: string;
  readonly kind: BackendKind = 'pull';
  private conn: WorkerConnection | undefined;
  private announcedCapacity = 1;
  private nodes = new Set<string>();
  private leaseTimer: NodeJS.Timeout | undefined;
  private readonly waiters = new Set<() => void>();
  /** Attempts running on this worker, by job id. */
  readonly attempts = new Map<string, WorkerAttempt>();
  /** Jobs the scheduler gave this backend, by the worker that runs them now. */
  private readonly holders = new Map<string, WorkerBackend>();
  /** Jobs moved away from this worker: it is told to drop them whenever it shows up. */
  private readonly superseded = new Set<string>();
  lastSeen: number | undefined;

  constructor(private readonly options: WorkerBackendOptions) {
    this.name = `worker:${options.worker}`;
  }

  get worker(): string {
    return this.options.worker;
  }

  capacity(): number {
    return this.announcedCapacity;
  }

  state(): BackendState {
    return this.conn ? 'ready' : 'down';
  }

  live(): boolean {
    return this.conn !== undefined;
  }

  load(): number {
    return this.attempts.size / this.announcedCapacity;
  }

  /** Whether its ComfyUI has every node the job names. */
  canRun(job: RunnableJob): boolean {
    return classTypes(job.prompt).every((type) => this.nodes.has(type));
  }

  /**
   * The worker (re)connected: take its socket, tell it to drop the jobs moved away from it, give it
   * its jobs again. Jobs it holds that this relay does not run are the fleet's to judge (Redis).
   */
  attach(conn: WorkerConnection, hello: Hello): void {
    const old = this.conn;
    this.conn = conn;
    if (old && old !== conn) old.close(4000, 'replaced by a newer connection of this worker');
    clearTimeout(this.leaseTimer);
    this.leaseTimer = undefined;
    this.announcedCapacity = hello.capacity;
    this.nodes = new Set(hello.nodes);
    this.lastSeen = Date.now();
    for (const jobId of this.superseded)
      conn.send({ type: 'drop', jobId, reason: 'the job moved to another worker' });
    this.superseded.clear();
    for (const attempt of this.attempts.values()) conn.send(attempt.runMessage(true));
    for (const wake of [...this.waiters]) wake();
  }

  /** Its socket closed: its jobs wait for it for one lease, then move. */
  detach(conn: WorkerConnection): void {
    if (this.conn !== conn) return;
    this.conn = undefined;
    this.lastSeen = Date.now();
    const seconds = (this.options.leaseMs / 1000).toFixed(1);
    this.leaseTimer = setTimeout(() => {
      this.leaseTimer = undefined;
      for (const attempt of this.attempts.values())
        attempt.died(`its connection closed and it did not come back within ${seconds} s`);
    }, this.options.leaseMs);
    this.leaseTimer.unref();
  }

  /** A message of this worker for one of its jobs. */
  onJobMessage(message: Extract<WorkerToRelay, { type: 'job' | 'preview' }>): boolean {
    this.lastSeen = Date.now();
    const attempt = this.attempts.get(message.jobId);
    if (!attempt || attempt.attempt !== message.attempt) return false;
    if (message.type === 'job') attempt.receive(message.seq, message.event);
    else
      attempt.preview(
        message.nodeId,
        Buffer.from(message.image, 'base64'),
        message.mime,
        message.meta,
      );
    return true;
  }

  /** An upload of this worker is arriving: it is alive, whatever its socket's pongs say. */
  heard(): void {
    this.lastSeen = Date.now();
    this.conn?.heard();
  }

  /** The attempt this worker holds of `jobId`, if it is `attempt` (uploads and input reads check it). */
  holds(jobId: string, attempt: number): WorkerAttempt | undefined {
    const current = this.attempts.get(jobId);
    return current?.attempt === attempt && !current.ended ? current : undefined;
  }

  async run(job: RunnableJob, ctx: RunContext): Promise<RunResult> {
    const ref = parseWorkerRef(job.resume?.backendRef);
    let worker: WorkerBackend = ref.worker ? this.options.peers.get(ref.worker) : this;
    let attempt = ref.attempt;
    let resume = job.resume;
    if (!resume?.submitAttemptedAt && !worker.canRun(job)) {
      const other = this.options.peers.pick(job);
      if (!other) return noWorkerFor(job);
      worker = other;
    }
    try {
      for (;;) {
        this.holders.set(job.id, worker);
        const end = await worker.attempt(job, ctx, attempt, resume);
        if (end.kind === 'result') return end.result;
        worker.supersede(job.id);
        const next =
          attempt <= this.options.maxMoves ? this.options.peers.pick(job, worker) : undefined;
        ctx.logger.warn(
          { worker: worker.worker, attempt, why: end.why, moveTo: next?.worker },
          'the worker running the job is gone',
        );
        if (!next) return this.gone(job, worker, end, attempt);
        worker = next;
        attempt += 1;
        resume = undefined;
      }
    } finally {
      this.holders.delete(job.id);
    }
  }

  private gone(
    job: RunnableJob,
    worker: WorkerBackend,
    end: Extract<AttemptEnd, { kind: 'died' }>,
    attempt: number,
  ): RunResult {
    const where = whereItDied(job, end);
    const next =
      attempt > this.options.maxMoves
        ? `The job had already been moved ${attempt - 1} time(s) and is not moved again`
        : 'No other worker with the nodes it needs is connected';
    return failedResult(
      `The GPU worker ${worker.worker} went away ${where}; ${end.why}. ${next}: queue it again, and tell the workshop host if it keeps happening.`,
      { exceptionType: 'GpuDied' },
    );
  }

  private supersede(jobId: string): void {
    if (this.conn)
      this.conn.send({ type: 'drop', jobId, reason: 'the job moved to another worker' });
    else this.superseded.add(jobId);
  }

  /** One attempt on this worker: `run` sent (again on each reconnect), followed to its end or the lease's. */
  private async attempt(
    job: RunnableJob,
    ctx: RunContext,
    attempt: number,
    resume: RunnableJob['resume'],
  ): Promise<AttemptEnd> {
    if (!(await this.connectedWithin(this.options.leaseMs, ctx.signal)))
      return {
        kind: 'died',
        why: `it was not connected for ${(this.options.leaseMs / 1000).toFixed(1)} s`,
      };
    let tagged;
    try {
      tagged = tagPrompt(job.prompt, job.id, { previews: 'keep', attempt });
    } catch (error) {
      if (!(error instanceof TaggingError)) throw error;
      return {
        kind: 'result',
        result: failedResult(error.message, {
          nodeId: error.nodeId,
          nodeType: error.classType,
          exceptionType: 'path_escape',
        }),
      };
    }
    const run = new WorkerAttempt(
      job,
      ctx,
      this.worker,
      attempt,
      tagged,
      this.options.staging,
      !!resume?.submittedAt,
    );
    this.attempts.set(job.id, run);
    try {
      // The worker may POST the prompt as soon as it has it.
      if (!resume?.submitAttemptedAt) await ctx.markSubmitAttempted(run.ref);
      // Gone meanwhile: it gets the job when it is back; its lease timer ends the attempt if not.
      this.conn?.send(run.runMessage(!!resume?.submitAttemptedAt));
      return await Promise.race([run.end, untilAborted(ctx.signal)]);
    } finally {
      run.ended = true;
      this.attempts.delete(job.id);
      await this.options.staging.remove(job.id, attempt).catch(() => undefined);
    }
  }

  private connectedWithin(ms: number, signal: AbortSignal): Promise<boolean> {
    if (this.conn) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        signal.removeEventListener('abort', abort);
        resolve(ok);
      };
      const wake = () => done(true);
      const abort = () => done(false);
      const timer = setTimeout(() => done(false), ms);
      this.waiters.add(wake);
      signal.addEventListener('abort', abort, { once: true });
    });
  }

  async cancel(jobId: string): Promise<void> {
    const worker = this.holders.get(jobId) ?? this;
    const run = worker.attempts.get(jobId);
    if (!run) return;
    run.requestCancel();
    worker.conn?.send({ type: 'cancel', jobId, attempt: run.attempt });
  }

  async objectInfo(): Promise<Record<string, unknown>> {
    const { status, body } = await this.readComfy('/object_info');
    if (status !== 200 || !body || typeof body !== 'object')
      throw new RelayError(
        'backend_unavailable',
        `worker ${this.worker}: /object_info HTTP ${status}`,
      );
    return body as Record<string, unknown>;
  }

  readComfy(path: string): Promise<{ status: number; body: unknown }> {
    if (!this.conn)
      return Promise.reject(
        new RelayError('backend_unavailable', `worker ${this.worker} is not connected`),
      );
    return this.conn.request(path);
  }

  /** What the dashboard shows of the box: the jobs it runs now, when it was last heard from. */
  activity(): BackendActivity {
    const lastSeenAt = this.conn ? this.conn.lastHeardAt : this.lastSeen;
    return { jobs: [...this.attempts.keys()], ...(lastSeenAt ? { lastSeenAt } : {}) };
  }

  describe(): {
    worker: string;
    state: BackendState;
    jobs: string[];
    lastSeen?: number;
    capacity: number;
  } {
    const { jobs, lastSeenAt } = this.activity();
    return {
      worker: this.worker,
      state: this.state(),
      jobs,
      lastSeen: lastSeenAt,
      capacity: this.announcedCapacity,
    };
  }

  async close(): Promise<void> {
    clearTimeout(this.leaseTimer);
    this.conn?.close(1001, 'relay shutting down');
    this.conn = undefined;
  }
}

function noWorkerFor(job: RunnableJob): RunResult {
  return failedResult(
    `No connected GPU worker has every node this workflow uses (${[...new Set(classTypes(job.prompt))].join(', ')}); ask the workshop host which nodes the GPUs have.`,
    { exceptionType: 'MissingNodes' },
  );
}
