/**
 * @fileoverview The durable job store and dispatch queue, on Redis.
 *
 * Why not BullMQ (evaluated: bullmq 6.7.0 on npm, docs.bullmq.io): fair share across users
 * (round-robin by user) exists only as BullMQ Pro "groups"; per-user running caps that *skip* a
 * user instead of failing, an operator lane that jumps the fair order, per-backend concurrency
 * with least-busy routing across relays, queue positions in that dispatch order, and resuming a
 * job a dead relay had already submitted (BullMQ's stalled-job recovery re-runs the processor,
 * i.e. would submit to the GPU again) do not fit its model. So we keep BullMQ's conventions in
 * our own store: one Lua script per atomic transition (`lua/<name>-<numKeys>.lua`, KEYS/ARGV/
 * Output header), loaded with ioredis defineCommand, negative codes mapped to errors once
 * (`failure()` below), leases with heartbeats like BullMQ's lock manager.
 */
import type { Redis } from 'ioredis';
import type { JobState, Lane } from '../../../protocol/src/index';
import { RelayError } from '../errors';
import type {
  CancelOutcome,
  CreatedJob,
  FinishedJobFacts,
  JobStore,
  NewJob,
} from '../jobs/job-store';
import { decodeJob, encodePatch, promptHash, queuedJob, type JobPatch } from './job-record';
import { failure, newJobFields, reusedId } from './script-results';
import { redisKeys } from './keys';
import { guard } from './redis';
import { pairs, RedisJobReads } from './redis-job-reads';

export type StoreOptions = {
  leaseMs: number;
  maxQueuedPerUser: number;
  maxRunningPerUser: number;
};

/** The writes (one Lua script per transition); the reads it inherits are in redis-job-reads.ts. */
export class RedisJobStore extends RedisJobReads implements JobStore {
  constructor(
    redis: Redis,
    prefix: string,
    private readonly options: StoreOptions,
  ) {
    super(redis, redisKeys(prefix));
  }

  /**
   * Idempotent create: `created` false when the same job id already exists with the same prompt.
   * One round trip for a new job: addJob answers its number and position, and the record it wrote
   * is built here (`queuedJob`); only an idempotent retry reads the stored job back.
   */
  async create(job: NewJob, now = Date.now()): Promise<CreatedJob> {
    const k = this.keys;
    const hash = promptHash(job.prompt, job.outputsToExecute);
    const [rawCode, number, position] = (await this.run(
      'addJob',
      k.job(job.id),
      k.normalLane,
      k.userQueued,
      k.userRound,
      k.round,
      k.seq,
      k.jobs,
      k.userJobs(job.userId),
      k.priorityLane,
      k.userRunning,
      k.userWaited,
      k.userCounted,
      k.dispatched,
      job.userId,
      hash,
      this.options.maxQueuedPerUser,
      now,
      job.number ?? '',
      job.id,
      ...newJobFields(job),
    )) as [number, string | number, number];
    const code = Number(rawCode);
    if (code === -1) throw reusedId(job.id);
    if (code === -2)
      throw new RelayError(
        'user_queue_full',
        `you already have ${this.options.maxQueuedPerUser} jobs waiting, the most one user may queue; wait for one to start or cancel one`,
      );
    if (code === 1) {
      const facts = { promptHash: hash, createdAt: now, number: Number(number) };
      return { job: queuedJob(job, { ...facts, position: Number(position) }), created: true };
    }
    const stored = await this.get(job.id);
    if (!stored)
      throw new RelayError('internal', `job ${job.id} vanished right after it was created`);
    return { job: stored, created: false };
  }

  /**
   * Idempotent create of a job that is finished from the start (answered from ComfyUI's cache, or
   * failed as ComfyUI would fail it): never queued, never claimed. `facts` holds what it ran.
   */
  async createFinished(
    job: NewJob,
    state: 'done' | 'failed',
    facts: FinishedJobFacts,
    now = Date.now(),
  ): Promise<CreatedJob> {
    const k = this.keys;
    const code = Number(
      await this.run(
        'addFinishedJob',
        k.job(job.id),
        k.jobs,
        k.userJobs(job.userId),
        k.seq,
        job.userId,
        promptHash(job.prompt, job.outputsToExecute),
        now,
        job.number ?? '',
        job.id,
        state,
        ...newJobFields(job, facts),
      ),
    );
    if (code === -1) throw reusedId(job.id);
    const stored = await this.get(job.id);
    if (!stored)
      throw new RelayError('internal', `job ${job.id} vanished right after it was created`);
    return { job: stored, created: code === 1 };
  }

  /** Claim the next job for `owner` on the least busy backend with a free slot, with its record as claimed. */
  async claim(owner: string, backends: { name: string; capacity: number }[], now = Date.now()) {
    if (backends.length === 0) return undefined;
    const k = this.keys;
    const result = (await this.run(
      'claimJob',
      k.priorityLane,
      k.normalLane,
      k.userQueued,
      k.userRunning,
      k.round,
      k.active,
      k.backendRunning,
      k.userWaited,
      k.dispatched,
      k.prefix,
      owner,
      now,
      this.options.leaseMs,
      this.options.maxRunningPerUser,
      ...backends.flatMap((b) => [b.name, b.capacity]),
    )) as [string, string, string[]] | null;
    return result
      ? { id: result[0], backend: result[1], job: decodeJob(pairs(result[2] ?? []), 0) }
      : undefined;
  }

  /** Change phase/fields of a job this relay owns; throws LeaseLostError when it no longer does. */
  async update(
    id: string,
    owner: string,
    state: JobState | '',
    patch: JobPatch = {},
  ): Promise<void> {
    const code = Number(
      await this.run('updateJob', this.keys.job(id), owner, state, ...encodePatch(patch)),
    );
    if (code !== 1) throw failure(code, id, 'update');
  }

  async finish(
    id: string,
    owner: string,
    state: 'done' | 'failed' | 'cancelled',
    patch: JobPatch,
    runMs: number,
    now = Date.now(),
  ): Promise<void> {
    const k = this.keys;
    const code = Number(
      await this.run(
        'finishJob',
        k.job(id),
        k.active,
        k.userRunning,
        k.backendRunning,
        k.runtimes,
        owner,
        state,
        now,
        Math.max(0, Math.round(runMs)),
        ...encodePatch(patch),
      ),
    );
    if (code !== 1) throw failure(code, id, 'finish');
  }

  /** 'cancelled': it was queued and is gone; 'requested': its owner must interrupt it; 'finished': nothing to do. */
  async cancel(id: string, now = Date.now()): Promise<'cancelled' | 'requested' | 'finished'> {
    const { outcome } = await this.cancelIf(id, undefined, now);
    return outcome === 'skipped' ? 'finished' : outcome; // no condition: never skipped
  }

  /**
   * cancel, atomically only when the job's state is one of `onlyIf` (any state when absent):
   * 'skipped' when it is not. `before` is the state the job had when the script ran.
   */
  async cancelIf(
    id: string,
    onlyIf: readonly JobState[] | undefined,
    now = Date.now(),
  ): Promise<{ outcome: CancelOutcome; before: JobState }> {
    const k = this.keys;
    const [rawCode, before] = (await this.run(
      'cancelJob',
      k.job(id),
      k.priorityLane,
      k.normalLane,
      k.userQueued,
      k.userWaited,
      k.userCounted,
      now,
      onlyIf?.join(',') ?? '',
    )) as [number, string];
    const code = Number(rawCode);
    if (code === -1) throw failure(code, id, 'cancel');
    const outcomes = { 0: 'finished', 1: 'cancelled', 2: 'requested', 3: 'skipped' } as const;
    return { outcome: outcomes[code as keyof typeof outcomes], before: before as JobState };
  }

  async setLane(id: string, lane: Lane): Promise<void> {
    const k = this.keys;
    const code = Number(
      await this.run('setLane', k.job(id), k.priorityLane, k.normalLane, k.seq, lane),
    );
    if (code === -1) throw failure(code, id, 'setLane');
  }

  /** Heartbeat for the jobs this relay runs: which are still ours, which were asked to cancel. */
  async renew(
    owner: string,
    ids: string[],
    now = Date.now(),
  ): Promise<Map<string, 'ok' | 'cancel' | 'lost'>> {
    const out = new Map<string, 'ok' | 'cancel' | 'lost'>();
    if (ids.length === 0) return out;
    const codes = (await this.run(
      'renewLeases',
      this.keys.active,
      this.keys.prefix,
      owner,
      now + this.options.leaseMs,
      ...ids,
    )) as number[];
    ids.forEach((id, i) => out.set(id, codes[i] === 2 ? 'cancel' : codes[i] === 1 ? 'ok' : 'lost'));
    return out;
  }

  /** Let another relay (or our own restart) take these jobs over at once, e.g. on graceful shutdown. */
  async release(owner: string, ids: string[]): Promise<void> {
    if (ids.length)
      await this.run('renewLeases', this.keys.active, this.keys.prefix, owner, 0, ...ids);
  }

  async takeover(owner: string, now = Date.now()): Promise<string | undefined> {
    const id = await this.run(
      'takeoverJob',
      this.keys.active,
      this.keys.prefix,
      owner,
      now,
      this.options.leaseMs,
    );
    return typeof id === 'string' ? id : undefined;
  }

  /**
   * The queued jobs whose position moved enough to tell their user (see announcePositions-2.lua:
   * every change within the first `exactUpTo` places, elsewhere a move of 1/`share` of the last
   * announced position), each change reported to one caller only. Walks the queue: call it
   * coalesced, never per submit.
   */
  async announcePositions(
    share: number,
    exactUpTo: number,
  ): Promise<{ length: number; changed: { id: string; position: number }[] }> {
    const out = (await this.run(
      'announcePositions',
      this.keys.priorityLane,
      this.keys.normalLane,
      this.keys.prefix,
      share,
      exactUpTo,
    )) as (string | number)[];
    const changed: { id: string; position: number }[] = [];
    for (let i = 1; i + 1 < out.length; i += 2)
      changed.push({ id: String(out[i]), position: Number(out[i + 1]) });
    return { length: Number(out[0]), changed };
  }

  /** Output copies already made for a job: source key → stored UI item JSON (so each file is stored once). */
  async storedOutput(jobId: string, sourceKey: string): Promise<string | undefined> {
    return (await guard(() => this.redis.hget(this.keys.stored(jobId), sourceKey))) ?? undefined;
  }

  async recordStoredOutput(jobId: string, sourceKey: string, item: string): Promise<void> {
    await guard(() => this.redis.hset(this.keys.stored(jobId), sourceKey, item));
  }
}
