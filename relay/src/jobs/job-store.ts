/**
 * @fileoverview The job store as the rest of the relay sees it: every durable transition of a job
 * (create, claim, lease, finish, cancel, lane) and the reads the queue and the HTTP routes need.
 * The contract is Redis-free so the application layer (`job-service.ts`), the scheduler and the
 * publisher depend on what a store does, not on how; `store/redis-job-store.ts` implements it with
 * one Lua script per transition. Consumers that need a few members take a `Pick` of it (bullmq's
 * narrow worker contexts). Domain refusals are `RelayError`s (`not_found`, `conflict`,
 * `user_queue_full`) and a lost lease is `LeaseLostError`, whatever the implementation.
 */
import type { JobInput, JobState, Lane } from '../../../protocol/src/index';
import type { JobPatch, StoredJob } from '../store/job-record';

/** A job as submitted, before the store gives it a number, a round and a state. */
export type NewJob = {
  id: string;
  promptId?: string;
  userId: string;
  clientId: string;
  prompt: Record<string, unknown>;
  extraData: Record<string, unknown>;
  outputsToExecute: string[];
  number?: number;
  inputs: JobInput[];
};

/** What a job created finished from the start has run (cache answer, or a failure before any GPU work). */
export type FinishedJobFacts = Pick<
  JobPatch,
  'executedNodes' | 'cachedNodes' | 'outputs' | 'error'
>;

export type CreatedJob = { job: StoredJob; created: boolean };

/** 'cancelled': it was queued and is gone; 'requested': its owner must interrupt it; 'finished': nothing to do; 'skipped': its state was not one asked for. */
export type CancelOutcome = 'cancelled' | 'requested' | 'finished' | 'skipped';

export type QueueCounts = {
  queued: number;
  running: number;
  byUser: Record<string, { queued: number; running: number }>;
};

export interface JobStore {
  /** Idempotent create: `created` false when the same job id already exists with the same prompt. */
  create(job: NewJob, now?: number): Promise<CreatedJob>;
  /** Idempotent create of a job that is never queued: done or failed with `facts`. */
  createFinished(
    job: NewJob,
    state: 'done' | 'failed',
    facts: FinishedJobFacts,
    now?: number,
  ): Promise<CreatedJob>;
  /** The job; while it is queued, with its 1-based position in dispatch order, computed now. */
  get(id: string): Promise<StoredJob | undefined>;
  getMany(ids: string[]): Promise<StoredJob[]>;
  /** Newest first; `userId` limits to one user's jobs; prompt, extraData and inputs only `withPrompts`. */
  list(filter: {
    userId?: string;
    states?: JobState[];
    limit?: number;
    offset: number;
    withPrompts?: boolean;
  }): Promise<{ jobs: StoredJob[]; total: number }>;

  /** Claim the next job for `owner` on the least busy backend with a free slot, with its record as claimed. */
  claim(
    owner: string,
    backends: { name: string; capacity: number }[],
    now?: number,
  ): Promise<{ id: string; backend: string; job: StoredJob | undefined } | undefined>;
  /** Change phase/fields of a job `owner` holds; throws LeaseLostError when it no longer does. */
  update(id: string, owner: string, state: JobState | '', patch?: JobPatch): Promise<void>;
  finish(
    id: string,
    owner: string,
    state: 'done' | 'failed' | 'cancelled',
    patch: JobPatch,
    runMs: number,
    now?: number,
  ): Promise<void>;
  /** Heartbeat for the jobs `owner` runs: which are still its, which were asked to cancel. */
  renew(owner: string, ids: string[], now?: number): Promise<Map<string, 'ok' | 'cancel' | 'lost'>>;
  /** Let another relay (or a restart) take these jobs over at once. */
  release(owner: string, ids: string[]): Promise<void>;
  /** A job whose lease expired, now held by `owner`. */
  takeover(owner: string, now?: number): Promise<string | undefined>;

  /** Cancel, atomically only when the job's state is one of `onlyIf` (any state when absent). */
  cancelIf(
    id: string,
    onlyIf: readonly JobState[] | undefined,
    now?: number,
  ): Promise<{ outcome: CancelOutcome; before: JobState }>;
  /** Move a job between the operator priority lane and the normal lane. */
  setLane(id: string, lane: Lane): Promise<void>;

  /**
   * The queued jobs whose position moved enough to tell their user (every change within the first
   * `exactUpTo` places, elsewhere a move of 1/`share` of the last announced position), each change
   * reported to one caller only. Costs O(queue): call it coalesced, never per submit.
   */
  announcePositions(
    share: number,
    exactUpTo: number,
  ): Promise<{ length: number; changed: { id: string; position: number }[] }>;
  /** How many jobs are queued. */
  queueLength(): Promise<number>;
  counts(): Promise<QueueCounts>;
  /** Running jobs per backend name, across every relay. */
  backendRunning(): Promise<Record<string, number>>;
  /** Recent run times (ms), newest first. */
  runtimes(): Promise<number[]>;
  /** Jobs currently claimed by some relay. */
  activeIds(): Promise<string[]>;
}
