/**
 * @fileoverview One job attempt on the worker's ComfyUI (kit/comfy: the one ComfyUI client): looks
 * for it there first (a job it may already have: history → its entry, queue → follow it), else
 * places its inputs and submits it (prompt_id = job id, client_id = the worker's stable socket id,
 * so a restarted worker still hears it), then forwards the GPU's own messages in order with every
 * file an `executed` names uploaded to the relay first. Every job message is kept (not previews),
 * numbered by `seq`, and replayed from the relay's `fromSeq` when it sends `run` again.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import {
  isTerminalType,
  type RelayToWorker,
  type WorkerJobEvent,
  type WorkerToRelay,
} from '../../protocol/src/index';
import type { ComfyClient, HistoryEntry } from '../../kit/comfy/client';
import { retryColdStart } from '../../kit/comfy/cold-start';
import { ComfyUnavailable } from '../../kit/comfy/errors';
import type { ComfyFrame } from '../../kit/comfy/socket';
import type { RelayFiles } from './relay-files';

type Run = Extract<RelayToWorker, { type: 'run' }>;
type FileItem = { filename: string; subfolder?: string; type?: string };

export type JobRunDeps = {
  client: ComfyClient;
  files: RelayFiles;
  send: (message: WorkerToRelay) => void;
  /** The socket id prompts are submitted with. */
  clientId: string;
  inputDir: string;
  coldStartMs: number;
  logger: Logger;
  /** The run is over (ended, dropped): the worker forgets it. */
  onEnd: () => void;
};

export class JobRun {
  readonly jobId: string;
  readonly attempt: number;
  private readonly log: WorkerJobEvent[] = [];
  private base = 0;
  private chain: Promise<void> = Promise.resolve();
  private terminal = false;
  private stopped = false;
  private readonly logger: Logger;

  constructor(
    private readonly run: Run,
    private readonly deps: JobRunDeps,
  ) {
    this.jobId = run.jobId;
    this.attempt = run.attempt;
    this.base = run.fromSeq;
    this.logger = deps.logger.child({ jobId: run.jobId, attempt: run.attempt });
  }

  /** A frame its ComfyUI sent for this prompt. */
  frame(frame: ComfyFrame): void {
    if (this.stopped) return;
    if (frame.kind === 'preview') {
      const meta = frame.meta;
      this.deps.send({
        type: 'preview',
        jobId: this.jobId,
        attempt: this.attempt,
        nodeId: String(meta.node_id),
        mime: meta.image_type === 'image/png' ? 'image/png' : 'image/jpeg',
        image: frame.image.toString('base64'),
        meta: {
          display_node_id: meta.display_node_id,
          parent_node_id: meta.parent_node_id,
          real_node_id: meta.real_node_id,
        },
      });
      return;
    }
    const message = { type: frame.type, data: frame.data };
    this.enqueue(async () => {
      if (message.type === 'executed') await this.uploadOutput(message.data.output);
      this.emit({ kind: 'comfy', message });
      if (isTerminalType(message.type)) this.terminal = true;
      else if (message.type === 'executing' && message.data.node == null && this.terminal)
        this.finish();
    });
  }

  /** The relay sent `run` again (after a reconnect): replay what it still needs. */
  replay(fromSeq: number): void {
    for (let i = Math.max(0, fromSeq - this.base); i < this.log.length; i++)
      this.sendAt(this.base + i);
  }

  /** The jobs it still runs, for hello. */
  get ref() {
    return { jobId: this.jobId, attempt: this.attempt };
  }

  async start(): Promise<void> {
    this.enqueue(async () => {
      try {
        if (await this.foundOnGpu()) return;
        if (this.run.resume?.submitted) {
          this.emit({
            kind: 'failed',
            lost: true,
            message: 'its ComfyUI no longer knows the job it had accepted (was it restarted?)',
          });
          return this.finish();
        }
        await this.submit();
      } catch (error) {
        this.emit({
          kind: 'failed',
          lost: false,
          message: `the GPU worker could not run the job: ${(error as Error).message}`,
        });
        this.finish();
      }
    });
  }

  /** Interrupt it (cancel); a prompt that was still waiting leaves without a message: say so. */
  async cancel(): Promise<void> {
    await this.deps.client.interrupt(this.jobId).catch(() => undefined);
    setTimeout(() => {
      this.enqueue(async () => {
        if (this.stopped || this.terminal) return;
        const entry = await this.deps.client.history(this.jobId).catch(() => undefined);
        const queued = await this.deps.client.inQueue(this.jobId).catch(() => true);
        if (!entry && !queued) {
          this.emit({ kind: 'failed', lost: false, message: 'cancelled before it started' });
          this.finish();
        }
      });
    }, 1_000).unref();
  }

  /** The job moved elsewhere or ended: stop it on the GPU and forget it. */
  async drop(): Promise<void> {
    this.stopped = true;
    this.deps.onEnd();
    if (!this.terminal) await this.deps.client.interrupt(this.jobId).catch(() => undefined);
  }

  private async foundOnGpu(): Promise<boolean> {
    const entry = await this.deps.client.history(this.jobId).catch(() => undefined);
    if (entry) {
      await this.fromHistory(entry);
      return true;
    }
    if (await this.deps.client.inQueue(this.jobId).catch(() => false)) {
      if (!this.run.resume?.submitted) this.emit({ kind: 'submitted' });
      return true;
    }
    return false;
  }

  private async fromHistory(entry: HistoryEntry): Promise<void> {
    for (const output of Object.values(entry.outputs ?? {})) await this.uploadOutput(output);
    this.emit({ kind: 'history', entry: entry as Record<string, unknown> });
    this.finish();
  }

  private async submit(): Promise<void> {
    const { client } = this.deps;
    let warming = false;
    const untilWarm = {
      deadline: Date.now() + this.deps.coldStartMs,
      atDeadline: 'try-again' as const,
      onRetry: () => {
        if (!warming) this.emit({ kind: 'warming_up' });
        warming = true;
      },
    };
    const dir = join(this.deps.inputDir, this.jobId);
    for (const input of this.run.inputs) {
      const file = await this.deps.files.download(this.jobId, input.sha256, dir);
      await retryColdStart(async () => {
        const reply = await client.upload(file, input.path);
        if (reply.status !== 200)
          throw new ComfyUnavailable(
            `placing input ${input.path}: HTTP ${reply.status}`,
            true,
            false,
          );
      }, untilWarm);
    }
    const body: Record<string, unknown> = {
      prompt: this.run.prompt,
      client_id: this.deps.clientId,
      prompt_id: this.jobId,
      extra_data: { ...this.run.extraData },
    };
    if (this.run.outputsToExecute.length)
      body.partial_execution_targets = this.run.outputsToExecute;
    const answer = await retryColdStart(async () => {
      try {
        return await client.postPrompt(body);
      } catch (error) {
        // The POST may have landed before the failure: look before sending it again.
        if (
          error instanceof ComfyUnavailable &&
          (await client.inQueue(this.jobId).catch(() => false))
        )
          return undefined;
        throw error;
      }
    }, untilWarm);
    if (answer && !answer.ok) {
      this.emit({ kind: 'refused', body: answer.body });
      return this.finish();
    }
    this.emit({ kind: 'submitted' });
    this.watchHistory();
  }

  /** Safety net for socket messages missed (its ComfyUI socket dropped): history says done → finish from it. */
  private watchHistory(): void {
    let seenAt: number | undefined;
    const timer = setInterval(() => {
      if (this.stopped || this.terminal) return clearInterval(timer);
      void this.deps.client.history(this.jobId).then(
        (entry) => {
          if (!entry) return;
          seenAt ??= Date.now();
          if (Date.now() - seenAt < 3_000) return;
          clearInterval(timer);
          this.enqueue(async () => {
            if (!this.terminal && !this.stopped) await this.fromHistory(entry);
          });
        },
        () => undefined,
      );
    }, 1_500);
    timer.unref();
  }

  /** Every file an output names, uploaded to the relay (before the message that names it). */
  private async uploadOutput(output: unknown): Promise<void> {
    if (!output || typeof output !== 'object') return;
    for (const items of Object.values(output as Record<string, unknown>)) {
      if (!Array.isArray(items)) continue;
      for (const item of items as FileItem[]) {
        if (!item || typeof item.filename !== 'string') continue;
        const { status, bytes } = await this.deps.client.download(item);
        if (status !== 200) throw new Error(`its ComfyUI answered ${status} for ${item.filename}`);
        const name = item.subfolder ? `${item.subfolder}/${item.filename}` : item.filename;
        const type = item.type === 'temp' ? 'temp' : 'output';
        await this.deps.files.upload(this.jobId, this.attempt, type, name, bytes);
      }
    }
  }

  private enqueue(work: () => Promise<void>): void {
    this.chain = this.chain.then(work).catch((error: Error) => {
      this.logger.warn({ err: error.message }, 'job step failed');
      if (this.stopped || this.terminal) return;
      this.emit({
        kind: 'failed',
        lost: false,
        message: `the GPU worker failed: ${error.message}`,
      });
      this.finish();
    });
  }

  private emit(event: WorkerJobEvent): void {
    if (this.stopped) return;
    this.logger.debug({ kind: event.kind, seq: this.base + this.log.length }, 'job message');
    this.log.push(event);
    this.sendAt(this.base + this.log.length - 1);
  }

  private sendAt(seq: number): void {
    const event = this.log[seq - this.base];
    if (event)
      this.deps.send({ type: 'job', jobId: this.jobId, attempt: this.attempt, seq, event });
  }

  /** Its messages are all sent; kept until the relay no longer asks (a later `run` replays them). */
  private finish(): void {
    this.terminal = true;
    // Kept a while for a relay that reconnects and asks again; then forgotten.
    setTimeout(() => {
      if (!this.stopped) this.deps.onEnd();
      this.stopped = true;
    }, 60_000).unref();
  }
}
