/**
 * @fileoverview One attempt of one job on one pull worker, relay side: the `run` message the
 * worker gets (again after each reconnect, from the first `seq` still needed), and the worker's job
 * messages applied in order, each once: submit marks, the GPU's own messages through the shared
 * JobTracker (output files read from the worker's uploads, stored before `executed` is forwarded),
 * its history entry when messages were missed, its refusal or failure. Ends with a result, or
 * "died" (lease expired, the worker lost the job) for the backend to move it.
 */
import type { RelayToWorker, WorkerJobEvent } from '../../../../protocol/src/index';
import type { HistoryEntry } from '../../../../kit/comfy/client';
import { failedResult, type AttemptEnd } from '../attempt-end';
import type { RunContext, RunnableJob } from '../backend';
import { gpuRefusal } from '../gpu-refusal';
import { JobTracker, type FileItem } from '../job-tracker';
import type { TaggedPrompt } from '../tagging';
import type { WorkerStaging } from './worker-staging';

/** `<worker>#<attempt>`: the record's backendRef, naming where the job runs now. */
export const workerRef = (worker: string, attempt: number) => `${worker}#${attempt}`;

export function parseWorkerRef(ref: string | undefined): { worker?: string; attempt: number } {
  const match = /^([A-Za-z0-9_-]{1,64})#(\d{1,2})$/.exec(ref ?? '');
  if (!match) return { attempt: 1 };
  return { worker: match[1], attempt: Math.max(1, Number(match[2])) };
}

export class WorkerAttempt {
  readonly end: Promise<AttemptEnd>;
  private finish!: (end: AttemptEnd) => void;
  private readonly tracker: JobTracker;
  private chain: Promise<void> = Promise.resolve();
  private nextSeq = 0;
  private warming = false;
  submitted: boolean;
  ended = false;

  constructor(
    readonly job: RunnableJob,
    private readonly ctx: RunContext,
    readonly worker: string,
    readonly attempt: number,
    private readonly tagged: TaggedPrompt,
    private readonly staging: WorkerStaging,
    submitted: boolean,
  ) {
    this.submitted = submitted;
    this.end = new Promise<AttemptEnd>((resolve) => (this.finish = resolve));
    const outputNodes = new Map(tagged.outputNodes.map((node) => [node.nodeId, node]));
    this.tracker = new JobTracker(
      job,
      ctx,
      (item: FileItem) => ({
        path: staging.path(job.id, attempt, item.type === 'temp' ? 'temp' : 'output', nameOf(item)),
      }),
      outputNodes,
    );
    this.tracker.result.then(
      (result) => this.done({ kind: 'result', result }),
      (error: unknown) =>
        this.done({
          kind: 'result',
          result: failedResult(
            `the relay could not take the worker's output: ${(error as Error).message}`,
          ),
        }),
    );
  }

  get ref(): string {
    return workerRef(this.worker, this.attempt);
  }

  get runningNode(): string | undefined {
    return this.tracker.runningNode;
  }

  /** The `run` message: the first time, and again after every reconnect. */
  runMessage(resume: boolean): RelayToWorker {
    return {
      type: 'run',
      jobId: this.job.id,
      attempt: this.attempt,
      prompt: this.tagged.prompt,
      extraData: this.job.extraData,
      outputsToExecute: this.job.outputsToExecute,
      inputs: this.job.inputs.map(({ path, sha256 }) => ({ path, sha256 })),
      resume: resume ? { submitted: this.submitted } : undefined,
      fromSeq: this.nextSeq,
    };
  }

  /** A job message from the worker; ones already applied (a replay after a reconnect) are skipped. */
  receive(seq: number, event: WorkerJobEvent): void {
    if (seq < this.nextSeq || this.ended) return;
    this.nextSeq = seq + 1;
    this.chain = this.chain
      .then(() => this.apply(event))
      .catch((error: Error) =>
        this.done({ kind: 'result', result: failedResult(`the relay failed: ${error.message}`) }),
      );
  }

  preview(
    nodeId: string,
    image: Buffer,
    mime: 'image/jpeg' | 'image/png',
    meta?: Parameters<RunContext['preview']>[3],
  ): void {
    if (!this.ended) this.ctx.preview(nodeId, image, mime, meta);
  }

  requestCancel(): void {
    this.tracker.cancelRequested = true;
  }

  /** The worker is gone for good (lease expired) or lost the job: the backend moves it. */
  died(why: string): void {
    if (!this.tracker.hasTerminal) this.done({ kind: 'died', why, node: this.runningNode });
  }

  private done(end: AttemptEnd): void {
    if (this.ended) return;
    this.ended = true;
    this.finish(end);
  }

  private async apply(event: WorkerJobEvent): Promise<void> {
    switch (event.kind) {
      case 'warming_up':
        if (!this.warming) await this.ctx.phase('warming_up');
        this.warming = true;
        return;
      case 'submitted':
        this.tracker.onGpu = true;
        if (!this.submitted) await this.ctx.markSubmitted(this.ref);
        this.submitted = true;
        if (this.warming) await this.ctx.phase('submitting');
        this.warming = false;
        return;
      case 'refused': {
        const error = gpuRefusal(event.body);
        this.done({ kind: 'result', result: failedResult(error.message, error) });
        return;
      }
      case 'comfy':
        this.tracker.push({ kind: 'message', type: event.message.type, data: event.message.data });
        return;
      case 'history':
        this.tracker.finishFromHistory(event.entry as HistoryEntry);
        return;
      case 'failed':
        if (this.tracker.cancelRequested && !event.lost) this.tracker.endInterrupted();
        else if (event.lost) this.died(event.message);
        else this.done({ kind: 'result', result: failedResult(event.message) });
    }
  }
}

const nameOf = (item: FileItem) =>
  item.subfolder ? `${item.subfolder}/${item.filename}` : item.filename;
