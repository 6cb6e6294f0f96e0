/**
 * @fileoverview The relay's job use cases, between the HTTP adapters and the store: submit
 * (idempotent, or finished at once for a cache answer or a ComfyUI-shaped failure), read, cancel
 * and the operator's lane change, with who may do what. Every change to the queue ends the same
 * way (`afterQueueChange`: the job with its position → publish → announce the others' moves,
 * coalesced → kick), so that sequence has one home. A user only ever sees their own jobs: another user's job id is not found, as if it did not
 * exist — also when submitted again as a new job's id. Refusals are `RelayError`s, mapped to HTTP
 * at the edge.
 */
import type { z } from 'zod';
import type { JobState, Lane, SubmitJobRequest } from '../../../protocol/src/index';
import type { Principal } from '../../../kit/user-token';
import { RelayError } from '../errors';
import type { Bus } from '../events/bus';
import type { Publisher } from '../events/publisher';
import type { InputStore } from '../inputs/input-store';
import type { RelayObserve } from '../metrics/relay-metrics';
import { safeSubfolder } from '../outputs/output-store';
import type { Scheduler } from '../scheduler/scheduler';
import type { StoredJob } from '../store/job-record';
import {
  cachedRerun,
  failedRun,
  type CachedRerunContext,
  type FinishedFacts,
} from './finished-jobs';
import type { CreatedJob, JobStore, NewJob } from './job-store';
import { checkPrompt } from './prompt-checks';

export type SubmitRequest = z.output<typeof SubmitJobRequest>;

export type JobServiceContext = CachedRerunContext & {
  store: Pick<JobStore, 'create' | 'createFinished' | 'get' | 'list' | 'cancelIf' | 'setLane'>;
  scheduler: Pick<Scheduler, 'queueChanged' | 'kick' | 'cancelRequested'>;
  publisher: Pick<Publisher, 'job'>;
  bus: Pick<Bus, 'control'>;
  inputs: Pick<InputStore, 'has'>;
  /** The most nodes a prompt may have (RELAY_MAX_NODES). */
  maxNodes: number;
  /** Metrics hooks (absent in tests that build the service by hand). */
  observe?: Pick<RelayObserve, 'jobSubmitted' | 'jobFinished' | 'jobStateChanged'>;
};

export type CancelResult = { job: StoredJob; before: JobState; cancelled: boolean };

/** The user a submit is for: jobs are submitted with a user token, never the operator's. */
export function submittingUser(principal: Principal): string {
  if (principal.kind !== 'user')
    throw new RelayError(
      'forbidden',
      'jobs are submitted with a user token (comfyume token <user>), not the admin token',
    );
  return principal.userId;
}

/** Refuses anyone but the operator (ADMIN_TOKEN): only it moves jobs between lanes. */
export function requireOperator(principal: Principal): void {
  if (principal.kind !== 'admin')
    throw new RelayError('forbidden', "only the operator (ADMIN_TOKEN) can change a job's lane");
}

export class JobService {
  constructor(private readonly context: JobServiceContext) {}

  /** Creates `userId`'s job (`created` false for a retry of the same submit). */
  async submit(userId: string, request: SubmitRequest): Promise<CreatedJob> {
    const c = this.context;
    checkPrompt(request.prompt, request.jobId, c.maxNodes, !request.failure);
    for (const input of request.inputs) {
      safeSubfolder(input.path);
      if (!(await c.inputs.has(userId, input.sha256)))
        throw new RelayError(
          'bad_request',
          `input ${input.path} (sha256 ${input.sha256}) was not uploaded; PUT its bytes to /api/inputs/${input.sha256} first`,
        );
    }
    const newJob: NewJob = {
      id: request.jobId,
      promptId: request.promptId,
      userId,
      clientId: request.clientId,
      prompt: request.prompt,
      extraData: request.extraData,
      outputsToExecute: request.outputsToExecute ?? [],
      number: request.number,
      inputs: request.inputs,
    };
    const finished: FinishedFacts | undefined = request.failure
      ? failedRun(request.failure)
      : request.cachedFrom
        ? await cachedRerun(c, userId, { ...newJob, cachedFrom: request.cachedFrom })
        : undefined;
    if (finished) return this.submitFinished(newJob, finished);
    const { job, created } = await this.createOwn(newJob, () => c.store.create(newJob));
    if (!created) return { job, created };
    c.observe?.jobSubmitted(userId);
    // The store answered the job as it now stands (its position included): no re-read.
    return { job: await this.afterQueueChange(job, { wakePeers: true, fresh: true }), created };
  }

  /** A job created finished (cache answer or ComfyUI-shaped failure): announced, never scheduled. */
  private async submitFinished(newJob: NewJob, finished: FinishedFacts): Promise<CreatedJob> {
    const c = this.context;
    const { job, created } = await this.createOwn(newJob, () =>
      c.store.createFinished(newJob, finished.state, finished.facts),
    );
    if (created) {
      c.observe?.jobSubmitted(job.userId);
      c.observe?.jobFinished(finished.state, 0, 0);
      await c.publisher.job(job).catch(() => undefined);
    }
    return { job, created };
  }

  /**
   * Runs an idempotent create; a job id held by another user is not found like every other
   * route (the store's "already used" conflict would confirm that someone has a job with that id).
   */
  private async createOwn(newJob: NewJob, create: () => Promise<CreatedJob>): Promise<CreatedJob> {
    try {
      return await create();
    } catch (error) {
      if (error instanceof RelayError && error.code === 'conflict') {
        const holder = await this.context.store.get(newJob.id);
        if (holder && holder.userId !== newJob.userId)
          throw new RelayError(
            'not_found',
            `job ${newJob.id} was not found among your jobs; a new prompt needs a new job id`,
          );
      }
      throw error;
    }
  }

  /** The caller's job, or not found (also for someone else's job: existence is not leaked). */
  async find(principal: Principal, id: string): Promise<StoredJob> {
    const job = await this.context.store.get(id);
    if (!job || (principal.kind === 'user' && job.userId !== principal.userId))
      throw new RelayError('not_found', `job ${id} was not found`);
    return job;
  }

  /** Newest first: a user's own jobs, or for the operator every user's (or `user`'s). */
  list(
    principal: Principal,
    filter: {
      user?: string;
      states?: JobState[];
      limit?: number;
      offset: number;
      withPrompts?: boolean;
    },
  ): Promise<{ jobs: StoredJob[]; total: number }> {
    const { user, ...rest } = filter;
    const userId = principal.kind === 'user' ? principal.userId : user;
    return this.context.store.list({ userId, ...rest });
  }

  /**
   * Cancels the caller's job, only when its state is one of `onlyIf` (any state when absent): a
   * queued job leaves the queue at once; a running one is interrupted by the relay that runs it.
   */
  async cancel(
    principal: Principal,
    id: string,
    onlyIf: readonly JobState[] | undefined,
  ): Promise<CancelResult> {
    const c = this.context;
    const job = await this.find(principal, id);
    const { outcome, before } = await c.store.cancelIf(job.id, onlyIf);
    if (outcome === 'cancelled') {
      c.observe?.jobStateChanged('queued', 'cancelled');
      c.observe?.jobFinished('cancelled', Date.now() - job.createdAt, 0);
      await c.publisher.job(job.id).catch(() => undefined);
      c.scheduler.queueChanged();
    } else if (outcome === 'requested') {
      c.scheduler.cancelRequested(job.id);
      c.bus.control({ type: 'cancel', jobId: job.id });
    }
    const now = (await c.store.get(job.id)) ?? job;
    return { job: now, before, cancelled: outcome === 'cancelled' || outcome === 'requested' };
  }

  /** Moves a job to the operator's priority lane or back to the normal one (see `requireOperator`). */
  async reprioritise(principal: Principal, id: string, lane: Lane): Promise<StoredJob> {
    requireOperator(principal);
    const job = await this.find(principal, id);
    await this.context.store.setLane(job.id, lane);
    return this.afterQueueChange(job, { wakePeers: false, fresh: false });
  }

  /**
   * After a job entered the queue or moved in it: re-read it (its position is computed on read)
   * unless the caller just read it (`fresh`), publish its snapshot, let the scheduler announce the
   * other jobs' moves (coalesced: a burst of submits costs one walk of the queue per
   * `positionPushMs`, not one per submit), dispatch now, and (`wakePeers`) tell the other relays
   * to dispatch too. Returns the re-read job. The dispatch starts while the snapshot is being
   * appended, not after: the append was sent first on the same connection, so the event still
   * precedes everything the claim leads to.
   */
  async afterQueueChange(
    job: StoredJob,
    { wakePeers, fresh = false }: { wakePeers: boolean; fresh?: boolean },
  ): Promise<StoredJob> {
    const c = this.context;
    const now = fresh ? job : ((await c.store.get(job.id)) ?? job);
    const published = c.publisher.job(now).catch(() => undefined);
    c.scheduler.queueChanged();
    c.scheduler.kick();
    if (wakePeers) c.bus.control({ type: 'queue' });
    await published;
    return now;
  }
}
