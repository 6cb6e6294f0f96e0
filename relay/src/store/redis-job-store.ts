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
  QueueCounts,
} from '../jobs/job-store';
import {
  decodeJob,
  encodePatch,
  LIST_FIELDS,
  promptHash,
  queuedJob,
  type JobPatch,
  type StoredJob,
} from './job-record';
import { failure, newJobFields, reusedId } from './script-results';
import { redisKeys, type Keys } from './keys';
import { loadScripts, type RunScript } from './lua-scripts';
import { guard, redisFailure } from './redis';

export type StoreOptions = {
  leaseMs: number;
  maxQueuedPerUser: number;
  maxRunningPerUser: number;
};

/** HGETALL's flat [field, value, …] reply as a record (ioredis only converts its own hgetall). */
function pairs(flat: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
  return out;
}

export class RedisJobStore implements JobStore {
  readonly keys: Keys;
  private readonly run: RunScript;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly options: StoreOptions,
  ) {
    this.keys = redisKeys(prefix);
    this.run = loadScripts(redis);
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

  /** The job, with its queue position computed now (O(log n)) while it is queued. */
  async get(id: string): Promise<StoredJob | undefined> {
    const k = this.keys;
    const [hash, position] = (await this.run(
      'readJob',
      k.job(id),
      k.priorityLane,
      k.normalLane,
    )) as [string[], number];
    return decodeJob(pairs(hash), Number(position));
  }

  async getMany(ids: string[]): Promise<StoredJob[]> {
    if (ids.length === 0) return [];
    const k = this.keys;
    const results = await guard(() => {
      const pipeline = this.redis.pipeline();
      for (const id of ids)
        (pipeline as unknown as Record<string, (...args: string[]) => unknown>).comfyume_readJob!(
          k.job(id),
          k.priorityLane,
          k.normalLane,
        );
      return pipeline.exec();
    });
    // A command that failed inside the pipeline (connection lost mid-flight) is an outage, not a missing job.
    const failed = (results ?? []).find(([error]) => error);
    if (failed) throw redisFailure(failed[0]);
    return (results ?? []).flatMap(([, reply]) => {
      const [hash, position] = reply as [string[], number];
      return decodeJob(pairs(hash), Number(position)) ?? [];
    });
  }

  /**
   * Newest first; `userId` limits to one user's jobs. Scans at most `scanLimit` ids. Reads only the
   * page: without a state filter its ids come straight from the index; with one, each scanned job's
   * state is read first (one pipelined HGET each), then the page's records. The prompt, extra data
   * and inputs are read only `withPrompts` (HMGET of the other fields otherwise).
   */
  async list(
    filter: {
      userId?: string;
      states?: JobState[];
      limit?: number;
      offset: number;
      withPrompts?: boolean;
    },
    scanLimit = 5000,
  ) {
    const index = filter.userId ? this.keys.userJobs(filter.userId) : this.keys.jobs;
    const limit = filter.limit ?? scanLimit;
    const end = Math.min(filter.offset + limit, scanLimit);
    let page: string[];
    let total: number;
    if (!filter.states?.length) {
      const [count, ids] = await guard(() =>
        Promise.all([
          this.redis.zcard(index),
          filter.offset < end
            ? this.redis.zrevrange(index, filter.offset, end - 1)
            : Promise.resolve([] as string[]),
        ]),
      );
      total = Math.min(count, scanLimit);
      page = ids;
    } else {
      const ids = await guard(() => this.redis.zrevrange(index, 0, scanLimit - 1));
      const states = await this.pipelined(ids, (pipeline, id) =>
        pipeline.hget(this.keys.job(id), 'state'),
      );
      const wanted = ids.filter((_, i) => filter.states!.includes(states[i] as JobState));
      total = wanted.length;
      page = wanted.slice(filter.offset, end);
    }
    const jobs = filter.withPrompts ? await this.getMany(page) : await this.getListed(page);
    return { jobs, total };
  }

  /** The records of `ids` without prompt, extra data and inputs (see LIST_FIELDS). */
  private async getListed(ids: string[]): Promise<StoredJob[]> {
    const rows = await this.pipelined(ids, (pipeline, id) =>
      pipeline.hmget(this.keys.job(id), ...LIST_FIELDS),
    );
    const jobs = rows.flatMap((row) => {
      const values = row as (string | null)[];
      const hash: Record<string, string> = {};
      LIST_FIELDS.forEach((field, i) => {
        const value = values[i];
        if (value !== null && value !== undefined) hash[field] = value;
      });
      return decodeJob(hash) ?? [];
    });
    // Positions are computed on read (readJob): only the page's queued jobs need one.
    const queued = jobs.filter((job) => job.state === 'queued').map((job) => job.id);
    if (queued.length === 0) return jobs;
    const positions = new Map((await this.getMany(queued)).map((job) => [job.id, job.position]));
    return jobs.map((job) =>
      job.state === 'queued' ? { ...job, position: positions.get(job.id) } : job,
    );
  }

  /** One pipelined command per id; a command that failed inside the pipeline is an outage. */
  private async pipelined(
    ids: string[],
    add: (pipeline: ReturnType<Redis['pipeline']>, id: string) => void,
  ): Promise<unknown[]> {
    if (ids.length === 0) return [];
    const results = await guard(() => {
      const pipeline = this.redis.pipeline();
      for (const id of ids) add(pipeline, id);
      return pipeline.exec();
    });
    const failed = (results ?? []).find(([error]) => error);
    if (failed) throw redisFailure(failed[0]);
    return (results ?? []).map(([, value]) => value);
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

  /** How many jobs are queued, both lanes (O(1)). */
  async queueLength(): Promise<number> {
    const [priority, normal] = await guard(() =>
      Promise.all([
        this.redis.zcard(this.keys.priorityLane),
        this.redis.zcard(this.keys.normalLane),
      ]),
    );
    return priority + normal;
  }

  async counts(): Promise<QueueCounts> {
    const [queuedByUser, runningByUser] = await guard(() =>
      Promise.all([
        this.redis.hgetall(this.keys.userQueued),
        this.redis.hgetall(this.keys.userRunning),
      ]),
    );
    const byUser: Record<string, { queued: number; running: number }> = {};
    let queued = 0;
    let running = 0;
    for (const [user, n] of Object.entries(queuedByUser)) {
      byUser[user] = { queued: Number(n), running: 0 };
      queued += Number(n);
    }
    for (const [user, n] of Object.entries(runningByUser)) {
      (byUser[user] ??= { queued: 0, running: 0 }).running = Number(n);
      running += Number(n);
    }
    return { queued, running, byUser };
  }

  async backendRunning(): Promise<Record<string, number>> {
    const raw = await guard(() => this.redis.hgetall(this.keys.backendRunning));
    return Object.fromEntries(Object.entries(raw).map(([name, n]) => [name, Number(n)]));
  }

  /** Recent run times (ms), newest first. */
  async runtimes(): Promise<number[]> {
    return (await guard(() => this.redis.lrange(this.keys.runtimes, 0, -1))).map(Number);
  }

  /** Jobs currently claimed by some relay (id → lease deadline). */
  async activeIds(): Promise<string[]> {
    return guard(() => this.redis.zrange(this.keys.active, 0, -1));
  }

  /** Output copies already made for a job: source key → stored UI item JSON (so each file is stored once). */
  async storedOutput(jobId: string, sourceKey: string): Promise<string | undefined> {
    return (await guard(() => this.redis.hget(this.keys.stored(jobId), sourceKey))) ?? undefined;
  }

  async recordStoredOutput(jobId: string, sourceKey: string, item: string): Promise<void> {
    await guard(() => this.redis.hset(this.keys.stored(jobId), sourceKey, item));
  }
}
