/**
 * @fileoverview The job store's reads on Redis: a job with its queue position computed on read
 * (readJob, O(log n)), many jobs in one pipeline, the paged job list (HMGET of the small fields
 * unless prompts are asked for), and the queue's counts. `RedisJobStore` adds the writes.
 */
import type { Redis } from 'ioredis';
import type { JobState } from '../../../protocol/src/index';
import type { QueueCounts } from '../jobs/job-store';
import { decodeJob, LIST_FIELDS, type StoredJob } from './job-record';
import type { Keys } from './keys';
import { loadScripts, type RunScript } from './lua-scripts';
import { guard, redisFailure } from './redis';

/** HGETALL's flat [field, value, …] reply as a record (ioredis only converts its own hgetall). */
export function pairs(flat: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
  return out;
}
export class RedisJobReads {
  protected readonly run: RunScript;

  constructor(
    protected readonly redis: Redis,
    readonly keys: Keys,
  ) {
    this.run = loadScripts(redis);
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
}
