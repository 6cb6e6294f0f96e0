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
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { jobLevelError, type BackendKind } from '../../../../protocol/src/index';
import { RelayError } from '../../errors';
import type { Backend, BackendState, RunContext, RunResult, RunnableJob } from '../backend';
import { coldStartPause } from '../cold-start-backoff';
import { gpuRefusal } from '../gpu-refusal';
import { tagPrompt, TaggingError, type TaggedPrompt } from '../tagging';
import { ComfyClient, ComfyUnavailable } from './comfy-client';
import { ComfySocket } from './comfy-socket';
import { JobTracker } from './job-tracker';

export type DirectOptions = {
  url: string;
  name?: string;
  kind?: BackendKind;
  capacity: number;
  coldStartBudgetMs: number;
  logger: Logger;
  pollMs?: number;
};

function failed(message: string, extra: Partial<NonNullable<RunResult['error']>> = {}): RunResult {
  return {
    status: 'error',
    outputs: {},
    cachedNodes: [],
    executedNodes: [],
    statusMessages: [],
    error: { ...jobLevelError('RelayError', message), ...extra },
  };
}

/** POST /prompt 400 → the ComfyUI validation failure as a JobError naming the node (gpu-refusal.ts). */
function validationFailure(body: unknown): RunResult {
  const error = gpuRefusal(body);
  return failed(error.message, error);
}

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
  private readonly socket: ComfySocket;
  private readonly borrowed = new Map<string, ComfySocket>();
  private readonly active = new Map<string, JobTracker>();
  private objectInfoCache: { at: number; value: Record<string, unknown> } | undefined;

  constructor(private readonly options: DirectOptions) {
    const url = new URL(options.url);
    this.name = options.name ?? `direct:${url.host}${url.pathname.replace(/\/+$/, '')}`;
    this.kind = options.kind ?? 'direct';
    this.client = new ComfyClient(options.url.replace(/\/+$/, ''));
    this.socket = new ComfySocket(this.client.baseUrl, this.sid, options.logger);
    this.socket.onReconnect = () => {
      for (const [id, tracker] of this.active) void this.poll(id, tracker, true);
    };
  }

  capacity(): number {
    return this.options.capacity;
  }

  state(): BackendState {
    return this.socket.connected ? 'ready' : 'down';
  }

  async run(job: RunnableJob, ctx: RunContext): Promise<RunResult> {
    let tagged: TaggedPrompt;
    try {
      // Previews stay PreviewImage on the GPU (its temp file is read from the GPU's /view), as in a local run.
      tagged = tagPrompt(job.prompt, job.id, { previews: 'keep' });
    } catch (error) {
      if (error instanceof TaggingError) return failed(error.message, { nodeId: error.nodeId, nodeType: error.classType, exceptionType: 'path_escape' });
      throw error;
    }
    const outputNodes = new Map(tagged.outputNodes.map((node) => [node.nodeId, node]));
    const resumeSid = job.resume?.backendRef;
    const sid = resumeSid && resumeSid !== this.sid ? resumeSid : this.sid;
    const socket = sid === this.sid ? this.socket : this.borrow(sid);
    const tracker = new JobTracker(job, ctx, this.client, outputNodes);
    const unsubscribe = socket.subscribe(job.id, (event) => tracker.push(event));
    this.active.set(job.id, tracker);
    const poller = setInterval(() => void this.poll(job.id, tracker, !socket.connected), this.options.pollMs ?? 1_500);
    try {
      const early = await this.submitOrAttach(job, tagged, ctx, sid, tracker);
      if (early) return early;
      tracker.onGpu = true;
      return await Promise.race([tracker.result, untilAborted(ctx.signal)]);
    } finally {
      clearInterval(poller);
      unsubscribe();
      this.active.delete(job.id);
      if (socket !== this.socket && socket.idle) {
        socket.close();
        this.borrowed.delete(sid);
      }
    }
  }

  /** Resumed jobs listen on the sid they were submitted with: ComfyUI sends a prompt's events to its client_id only. */
  private borrow(sid: string): ComfySocket {
    let socket = this.borrowed.get(sid);
    if (!socket) {
      socket = new ComfySocket(this.client.baseUrl, sid, this.options.logger);
      this.borrowed.set(sid, socket);
    }
    return socket;
  }

  private async submitOrAttach(job: RunnableJob, tagged: TaggedPrompt, ctx: RunContext, sid: string, tracker: JobTracker): Promise<RunResult | undefined> {
    const resume = job.resume;
    if (resume && (resume.submitAttemptedAt || resume.submittedAt)) {
      const entry = await this.client.history(job.id);
      if (entry) {
        tracker.finishFromHistory(entry);
        return undefined;
      }
      if (await this.client.inQueue(job.id)) {
        tracker.onGpu = true;
        return undefined;
      }
      if (resume.submittedAt)
        return failed(`the GPU ${this.name} had accepted this job but no longer knows it (was it restarted?); queue it again`);
      // Attempted but never confirmed, and the GPU has no trace of it: that POST never landed.
    }
    return this.submit(job, tagged, ctx, sid);
  }

  private async submit(job: RunnableJob, tagged: TaggedPrompt, ctx: RunContext, sid: string): Promise<RunResult | undefined> {
    const deadline = Date.now() + this.options.coldStartBudgetMs;
    let warming = false;
    for (let attempt = 1; ; attempt++) {
      try {
        for (const input of job.inputs) await this.client.uploadInput(input.file, input.path);
        break;
      } catch (error) {
        if (!(error instanceof ComfyUnavailable) || Date.now() > deadline) throw error;
        if (!warming) await ctx.phase('warming_up');
        warming = true;
        await coldStartPause(attempt, { deadline, signal: ctx.signal });
      }
    }
    const body: Record<string, unknown> = { prompt: tagged.prompt, client_id: sid, prompt_id: job.id, extra_data: { ...job.extraData } };
    if (job.outputsToExecute.length) body.partial_execution_targets = job.outputsToExecute;
    await ctx.markSubmitAttempted(sid);
    for (let attempt = 1; ; attempt++) {
      ctx.signal.throwIfAborted();
      try {
        const answer = await this.client.postPrompt(body);
        if (!answer.ok) return validationFailure(answer.body);
        break;
      } catch (error) {
        if (!(error instanceof ComfyUnavailable)) throw error;
        // The POST may have landed before the failure: look before sending it again.
        const landed = await this.client.history(job.id).then((h) => !!h).catch(() => false) || (await this.client.inQueue(job.id).catch(() => false));
        if (landed) break;
        if (Date.now() > deadline)
          throw new RelayError('backend_unavailable', `the GPU ${this.name} did not accept the job within COLD_START_BUDGET_S (${Math.round(this.options.coldStartBudgetMs / 1000)} s): ${error.message}`);
        if (!warming) await ctx.phase('warming_up');
        warming = true;
        await coldStartPause(attempt, { deadline, signal: ctx.signal });
      }
    }
    await ctx.markSubmitted(sid);
    if (warming) await ctx.phase('submitting');
    return undefined;
  }

  /** Safety net for missed socket messages: history says done (and the socket stayed silent) → finish from it. */
  private async poll(jobId: string, tracker: JobTracker, eager: boolean): Promise<void> {
    if (tracker.ended || tracker.hasTerminal) return;
    try {
      const entry = await this.client.history(jobId);
      if (entry) {
        const now = Date.now();
        tracker.historySeenAt ??= now;
        if (eager || now - tracker.historySeenAt >= 2_000) tracker.finishFromHistory(entry);
      } else if (tracker.onGpu && !(await this.client.inQueue(jobId))) {
        // Neither done nor queued: cancelled while pending there, or the GPU restarted and forgot it.
        if (tracker.cancelRequested) tracker.endInterrupted();
        else if (++tracker.vanished >= 3)
          tracker.fail(new RelayError('backend_unavailable', `the GPU ${this.name} no longer knows this job (was it restarted?); queue it again`));
      } else {
        tracker.vanished = 0;
      }
    } catch {
      // GPU unreachable: keep waiting; the socket reconnects and the next poll tries again.
    }
  }

  async cancel(jobId: string): Promise<void> {
    const tracker = this.active.get(jobId);
    if (tracker) tracker.cancelRequested = true;
    await this.client.interrupt(jobId);
  }

  async objectInfo(): Promise<Record<string, unknown>> {
    if (this.objectInfoCache && Date.now() - this.objectInfoCache.at < 60_000) return this.objectInfoCache.value;
    const value = await this.client.objectInfo();
    this.objectInfoCache = { at: Date.now(), value };
    return value;
  }

  readComfy(path: string): Promise<{ status: number; body: unknown }> {
    return this.client.getJson(path);
  }

  async close(): Promise<void> {
    this.socket.close();
    for (const socket of this.borrowed.values()) socket.close();
    this.borrowed.clear();
  }
}
