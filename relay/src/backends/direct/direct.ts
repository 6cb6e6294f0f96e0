/**
 * @fileoverview The `direct` backend: one ComfyUI URL (a dedicated GPU, or the simulator), one
 * Backend each, so the scheduler's Lua does least-busy routing and per-URL capacity across relays.
 *
 * Submit: output prefixes tagged (tagging.ts), prompt_id = job id, client_id = this relay's sid;
 * `markSubmitAttempted` before the POST and `markSubmitted` after its 200. Follow: the GPU's own
 * WebSocket, forwarded message by message; /history as a safety net. Resume after a relay died:
 * history → finish from it; queue → attach (re-using the dead relay's sid so ComfyUI sends its
 * events here); nowhere and never confirmed → the POST never landed, submit; nowhere but
 * confirmed → fail with a clear message rather than run it twice.
 *
 * A GPU that dies while it holds the job (its socket closed and its health failing, gpu-health.ts;
 * or it came back without the prompt) is looked at once more (/history, /queue: back with the
 * prompt → keep following); then the job is resubmitted once to the least busy other live direct
 * GPU, as attempt 2 (files under `@2/`, backendRef `<sid>#2@<gpu>`), or fails with the reason. The
 * dead GPU is told to drop the prompt should it come back, so the job never runs twice on a live GPU.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { BackendKind, BackendState } from '../../../../protocol/src/index';
import { ComfyClient } from '../../../../kit/comfy/client';
import { SERVER_ERROR } from '../../../../kit/comfy/http';
import { ReconnectingComfySocket } from '../../../../kit/comfy/reconnecting-socket';
import { RelayError } from '../../errors';
import type { Backend, RunContext, RunResult, RunnableJob } from '../backend';
import { tagPrompt, TaggingError, type TaggedPrompt } from '../tagging';
import { parseRef, refOf } from './direct-ref';
import { GpuHealth } from './gpu-health';
import { findResumed, pollHistory } from './history-poll';
import { JobTracker } from '../job-tracker';
import { DirectPeers } from './peers';
import { failedResult, type AttemptEnd } from '../attempt-end';
import { gpuDied } from './run-results';
import { submitToGpu } from './submit';

export type DirectOptions = {
  url: string;
  name?: string;
  kind?: BackendKind;
  capacity: number;
  coldStartBudgetMs: number;
  logger: Logger;
  pollMs?: number;
  /** Dead-GPU detection (config GPU_*): socket closed and health failing for deadAfterMs. Defaults 3000/1000/2000/1. */
  health?: Partial<{
    deadAfterMs: number;
    pollMs: number;
    timeoutMs: number;
    maxResubmits: number;
  }>;
  /** This relay's direct GPUs, to resubmit to when this one dies (none: the job fails with the reason). */
  peers?: DirectPeers<DirectBackend>;
};

function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const stop = () => reject(new RelayError('internal', `run stopped (${String(signal.reason)})`));
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
  });
}

export class DirectBackend implements Backend {
  readonly name: string;
  readonly kind: BackendKind;
  readonly client: ComfyClient;
  private readonly sid = `comfyume-relay-${randomUUID()}`;
  private readonly socket: ReconnectingComfySocket;
  private readonly borrowed = new Map<string, ReconnectingComfySocket>();
  private readonly active = new Map<string, JobTracker>();
  /** Jobs this backend was handed by the scheduler, by the GPU that holds them now (another after a resubmit). */
  private readonly holders = new Map<string, DirectBackend>();
  /** Prompts moved to another GPU after this one died: dropped here should it come back. */
  private readonly superseded = new Set<string>();
  private readonly health: GpuHealth;
  /** The same GPU with the health check's short timeout (GPU_HEALTH_TIMEOUT_MS). */
  private readonly checks: ComfyClient;
  private readonly peers: DirectPeers<DirectBackend>;
  private readonly maxResubmits: number;

  constructor(private readonly options: DirectOptions) {
    const url = new URL(options.url);
    this.name = options.name ?? `direct:${url.host}${url.pathname.replace(/\/+$/, '')}`;
    this.kind = options.kind ?? 'direct';
    // A 5xx from a GPU is ComfyUnavailable: it may or may not have the prompt, probe before retrying.
    const gpu = { baseUrl: options.url, unavailableStatus: SERVER_ERROR, urlInErrors: true };
    this.client = new ComfyClient({ ...gpu, timeoutMs: 15_000 });
    this.checks = new ComfyClient({ ...gpu, timeoutMs: options.health?.timeoutMs ?? 2_000 });
    this.health = new GpuHealth(
      this.name,
      async () => void (await this.checks.getJson('/queue')),
      {
        deadAfterMs: options.health?.deadAfterMs ?? 3_000,
        pollMs: options.health?.pollMs ?? 1_000,
      },
      options.logger,
    );
    this.maxResubmits = options.health?.maxResubmits ?? 1;
    this.peers = options.peers ?? new DirectPeers();
    this.peers.add(this);
    this.socket = new ReconnectingComfySocket(this.client.baseUrl, this.sid, options.logger);
    this.socket.onOpen = () => {
      this.health.socketOpened();
      this.dropSuperseded();
    };
    this.socket.onClose = () => this.health.socketClosed();
    this.socket.onReconnect = () => {
      for (const [id, tracker] of this.active) void this.poll(id, tracker, true);
    };
  }

  live(): boolean {
    return this.socket.connected && !this.health.dead;
  }

  load(): number {
    return this.active.size / this.options.capacity;
  }

  capacity(): number {
    return this.options.capacity;
  }

  state(): BackendState {
    return this.socket.connected ? 'ready' : 'down';
  }

  async run(job: RunnableJob, ctx: RunContext): Promise<RunResult> {
    const ref = parseRef(job.resume?.backendRef);
    const moved = ref.gpu ? this.peers.get(ref.gpu) : this;
    if (!moved)
      return failedResult(
        `this job was moved to the GPU ${ref.gpu}, which is no longer configured on the relay; queue it again`,
      );
    let gpu: DirectBackend = moved;
    let attempt = ref.attempt;
    let resume = job.resume;
    try {
      for (;;) {
        this.holders.set(job.id, gpu);
        const end = await gpu.attempt(job, ctx, attempt, resume);
        if (end.kind === 'result') return end.result;
        // Back with the prompt after all (a long blip): keep following it there.
        const seen = await gpu.lookFor(job.id);
        if (seen === 'has') {
          ctx.logger.info(
            { gpu: gpu.name },
            'the GPU judged dead is back and still has the job; following it there',
          );
          resume = {
            submittedAt: Date.now(),
            backendRef: refOf(gpu.socketSid(resume), attempt, gpu.name),
          };
          continue;
        }
        gpu.supersede(job.id);
        const next: DirectBackend | undefined =
          attempt <= this.maxResubmits ? this.peers.pickLive(gpu) : undefined;
        ctx.logger.warn(
          { gpu: gpu.name, attempt, why: end.why, resubmitTo: next?.name },
          'the direct GPU running the job died',
        );
        if (!next) return gpuDied(job, gpu.name, end, attempt, this.maxResubmits);
        gpu = next;
        attempt += 1;
        resume = undefined;
      }
    } finally {
      this.holders.delete(job.id);
    }
  }

  /** One attempt of the job on this GPU: submitted (or attached to on resume) and followed to its end or this GPU's death. */
  private async attempt(
    job: RunnableJob,
    ctx: RunContext,
    attempt: number,
    resume: RunnableJob['resume'],
  ): Promise<AttemptEnd> {
    let tagged: TaggedPrompt;
    try {
      // Previews stay PreviewImage on the GPU (its temp file is read from the GPU's /view), as in a local run.
      tagged = tagPrompt(job.prompt, job.id, { previews: 'keep', attempt });
    } catch (error) {
      if (error instanceof TaggingError)
        return {
          kind: 'result',
          result: failedResult(error.message, {
            nodeId: error.nodeId,
            nodeType: error.classType,
            exceptionType: 'path_escape',
          }),
        };
      throw error;
    }
    const outputNodes = new Map(tagged.outputNodes.map((node) => [node.nodeId, node]));
    const sid = this.socketSid(resume);
    const socket = sid === this.sid ? this.socket : this.borrow(sid);
    const tracker = new JobTracker(
      job,
      ctx,
      (item) => ({ url: this.client.viewUrl(item) }),
      outputNodes,
    );
    const unsubscribe = socket.subscribe(job.id, (event) => tracker.push(event));
    this.active.set(job.id, tracker);
    const poller = setInterval(
      () => void this.poll(job.id, tracker, !socket.connected),
      this.options.pollMs ?? 1_500,
    );
    let unwatch = () => {};
    try {
      const early = await this.submitOrAttach(
        { ...job, resume },
        tagged,
        ctx,
        sid,
        tracker,
        refOf(sid, attempt, this.name),
      );
      if (early) return early;
      tracker.onGpu = true;
      const died = new Promise<AttemptEnd>((resolve) => {
        const end = (why: string) => {
          // Its ending already came: the result follows (from the socket or history), not a death.
          if (!tracker.hasTerminal && !tracker.ended)
            resolve({ kind: 'died', why, node: tracker.runningNode });
        };
        tracker.lost = end;
        unwatch = this.health.onDead((verdict) => end(verdict.why));
      });
      const result = tracker.result.then((r): AttemptEnd => ({ kind: 'result', result: r }));
      return await Promise.race([result, died, untilAborted(ctx.signal)]);
    } finally {
      unwatch();
      clearInterval(poller);
      unsubscribe();
      this.active.delete(job.id);
      if (socket !== this.socket && socket.idle) {
        socket.close();
        this.borrowed.delete(sid);
      }
    }
  }

  /** The sid a (resumed) job listens on: ComfyUI sends a prompt's events to its client_id only. */
  private socketSid(resume: RunnableJob['resume']): string {
    const resumeSid = parseRef(resume?.backendRef).sid;
    return resumeSid && resumeSid !== this.sid ? resumeSid : this.sid;
  }

  /** Whether this GPU has the prompt (queued, running or done), does not know it, or does not answer. */
  private async lookFor(jobId: string): Promise<'has' | 'unknown' | 'unreachable'> {
    try {
      if (await this.checks.history(jobId)) return 'has';
      return (await this.checks.inQueue(jobId)) ? 'has' : 'unknown';
    } catch {
      return 'unreachable';
    }
  }

  /** The job moved to another GPU: drop it here now and whenever this GPU answers again. */
  private supersede(jobId: string): void {
    this.superseded.add(jobId);
    this.dropSuperseded();
  }

  private dropSuperseded(): void {
    for (const jobId of this.superseded) {
      this.client.interrupt(jobId).then(
        () => {
          this.superseded.delete(jobId);
          this.options.logger.info(
            { gpu: this.name, jobId },
            'the GPU is back: the job moved elsewhere was dropped here',
          );
        },
        () => undefined, // still away: again on its next connect
      );
    }
  }

  /** Resumed jobs listen on the sid they were submitted with: ComfyUI sends a prompt's events to its client_id only. */
  private borrow(sid: string): ReconnectingComfySocket {
    let socket = this.borrowed.get(sid);
    if (!socket) {
      socket = new ReconnectingComfySocket(this.client.baseUrl, sid, this.options.logger);
      this.borrowed.set(sid, socket);
    }
    return socket;
  }

  private async submitOrAttach(
    job: RunnableJob,
    tagged: TaggedPrompt,
    ctx: RunContext,
    sid: string,
    tracker: JobTracker,
    ref: string,
  ): Promise<AttemptEnd | undefined> {
    const resume = job.resume;
    if (resume && (resume.submitAttemptedAt || resume.submittedAt)) {
      const seen = await findResumed(this.client, job.id, tracker, {
        signal: ctx.signal,
        dead: () => !!this.health.dead,
        pollMs: this.options.health?.pollMs ?? 1_000,
      });
      if (seen === 'dead')
        return { kind: 'died', why: this.health.dead?.why ?? 'it does not answer' };
      if (seen === 'has') return undefined;
      if (resume.submittedAt)
        return {
          kind: 'died',
          why: 'it had accepted this job but no longer knows it (was it restarted?)',
        };
      // Attempted but never confirmed, and the GPU has no trace of it: that POST never landed.
    }
    const early = await submitToGpu(
      { client: this.client, name: this.name, coldStartBudgetMs: this.options.coldStartBudgetMs },
      job,
      tagged,
      ctx,
      sid,
      ref,
    );
    return early && { kind: 'result', result: early };
  }

  private poll(jobId: string, tracker: JobTracker, eager: boolean): Promise<void> {
    return pollHistory(this.client, jobId, tracker, eager);
  }

  async cancel(jobId: string): Promise<void> {
    const gpu = this.holders.get(jobId) ?? this;
    const tracker = gpu.active.get(jobId);
    if (tracker) tracker.cancelRequested = true;
    await gpu.client.interrupt(jobId);
  }

  /** Asked by the relay's one copy (backends/object-info-cache.ts), which does all the keeping. */
  objectInfo(): Promise<Record<string, unknown>> {
    return this.client.objectInfo();
  }

  readComfy(path: string): Promise<{ status: number; body: unknown }> {
    return this.client.getJson(path);
  }

  async close(): Promise<void> {
    this.health.stop();
    this.socket.close();
    for (const socket of this.borrowed.values()) socket.close();
    this.borrowed.clear();
  }
}
