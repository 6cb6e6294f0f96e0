/**
 * @fileoverview Keeps the shared output volume (SFS) from filling up: every sweep deletes the
 * folders `<SFS>/comfyume/<job>/` of jobs that finished more than SFS_RETENTION_H ago (their
 * outputs are already in the relay's own store, their journal is only for the operator), and the
 * heartbeats of replicas gone for long (`<SFS>/comfyume/replicas/<id>.json`).
 *
 * Safety first: only folders named like our job ids are touched; a job Redis says is queued or
 * running is never touched, however old its files; a job Redis does not know goes only when none
 * of its files changed within the retention. Redis unreachable: the sweep stops before deleting
 * anything more and warns once. Several relays may sweep the same volume: removal is forced and a
 * folder another relay removed first is simply gone.
 */
import type { Dirent } from 'node:fs';
import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import pLimit from 'p-limit';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import {
  AGENT_ROOT,
  JobId,
  REPLICAS_DIR,
  isTerminal,
  type JobState,
} from '../../../../protocol/src/index';

/** What the sweeper needs to know of a job (`finishedAt` for terminal ones). */
export type SweepJobFacts = { id: string; state: JobState; finishedAt?: number };

export type SfsSweeperOptions = {
  /** The GPU output folder as mounted here (SFS_OUTPUT_DIR). */
  outputDir: string;
  /** Job folders are deleted this long after the job finished; 0 disables the sweeper. */
  retentionMs: number;
  intervalMs: number;
  /** Heartbeat files unchanged for longer than this are deleted. */
  heartbeatMaxAgeMs: number;
  /** The jobs Redis knows among `ids` (unknown ids are absent); throws when Redis is unreachable. */
  jobs: (ids: string[]) => Promise<SweepJobFacts[]>;
  logger: Logger;
  /** The relay's clock (tests move it instead of waiting). */
  now?: () => number;
  /** Where to count what was removed (Prometheus), when given. */
  registry?: Registry;
  /** Job folders looked up and removed per batch (default 50). */
  batchSize?: number;
  /** Folders walked or removed at once (default 4): the volume serves the GPUs first. */
  concurrency?: number;
};

export type SweepResult = {
  /** false when the sweep was skipped or stopped early (Redis unreachable, disabled). */
  complete: boolean;
  jobFolders: number;
  heartbeats: number;
  kept: number;
  /** Bytes whose last link was removed (a hard-linked output still in the relay's store frees nothing). */
  bytesFreed: number;
};

/** The heartbeat age after which a replica is long gone: an hour, or ten stale periods if longer. */
export const heartbeatMaxAge = (staleMs: number): number => Math.max(3_600_000, 10 * staleMs);

type FolderFacts = { newestMtimeMs: number; bytes: number };

/** Newest mtime and freeable bytes under a folder (symlinks are not followed); vanished entries count as nothing. */
async function survey(path: string): Promise<FolderFacts> {
  const facts: FolderFacts = { newestMtimeMs: 0, bytes: 0 };
  const visit = async (dir: string): Promise<void> => {
    const info = await lstat(dir).catch(() => undefined);
    if (!info) return;
    facts.newestMtimeMs = Math.max(facts.newestMtimeMs, info.mtimeMs);
    if (!info.isDirectory()) {
      if (info.nlink <= 1) facts.bytes += info.size;
      return;
    }
    const entries: Dirent[] = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) await visit(join(dir, entry.name));
  };
  await visit(path);
  return facts;
}

const remove = (path: string) => rm(path, { recursive: true, force: true, maxRetries: 2 });

export class SfsSweeper {
  private readonly root: string;
  private readonly now: () => number;
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly removedBytes?: Counter;
  private readonly removedItems?: Counter<'kind'>;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<SweepResult> | undefined;

  constructor(private readonly options: SfsSweeperOptions) {
    this.root = join(options.outputDir, AGENT_ROOT);
    this.now = options.now ?? Date.now;
    this.limit = pLimit(options.concurrency ?? 4);
    if (options.registry) {
      this.removedBytes = new Counter({
        name: 'comfyume_relay_sfs_swept_bytes_total',
        help: 'Bytes freed on the shared output volume by the sweeper (SFS_RETENTION_H)',
        registers: [options.registry],
      });
      this.removedItems = new Counter({
        name: 'comfyume_relay_sfs_swept_total',
        help: 'Job folders and replica heartbeats the sweeper removed from the shared output volume',
        labelNames: ['kind'],
        registers: [options.registry],
      });
    }
  }

  get enabled(): boolean {
    return this.options.retentionMs > 0;
  }

  start(): void {
    if (this.timer || !this.enabled) return;
    void this.sweep(); // at once: an operator who lowered SFS_RETENTION_H on a full disk restarts and sees it work
    this.timer = setInterval(() => void this.sweep(), this.options.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a sweep in progress. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One sweep (coalesced: a tick during a slow sweep joins it). Never throws. */
  sweep(): Promise<SweepResult> {
    this.running ??= this.sweepOnce().finally(() => (this.running = undefined));
    return this.running;
  }

  private async sweepOnce(): Promise<SweepResult> {
    const result: SweepResult = {
      complete: false,
      jobFolders: 0,
      heartbeats: 0,
      kept: 0,
      bytesFreed: 0,
    };
    if (!this.enabled) return result;
    const started = this.now();
    try {
      const finishedJobs = await this.sweepJobFolders(result, started);
      if (!finishedJobs) return result;
      await this.sweepHeartbeats(result, started);
      result.complete = true;
      this.options.logger.info(
        {
          jobFolders: result.jobFolders,
          heartbeats: result.heartbeats,
          kept: result.kept,
          bytesFreed: result.bytesFreed,
          ms: Date.now() - started,
        },
        'swept the shared output volume',
      );
    } catch (error) {
      this.options.logger.warn(
        { err: (error as Error).message, ...result },
        'sweeping the shared output volume failed; trying again next interval',
      );
    }
    return result;
  }

  /** false when Redis could not be asked (the sweep stops: nothing more is deleted). */
  private async sweepJobFolders(result: SweepResult, now: number): Promise<boolean> {
    const entries = await readdir(this.root, { withFileTypes: true }).catch(
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return [] as Dirent[];
        throw error;
      },
    );
    const ids = entries
      .filter((e) => e.isDirectory() && JobId.safeParse(e.name).success)
      .map((e) => e.name);
    const batchSize = this.options.batchSize ?? 50;
    for (let i = 0; i < ids.length; i += batchSize) {
      const batch = ids.slice(i, i + batchSize);
      let known: Map<string, SweepJobFacts>;
      try {
        known = new Map((await this.options.jobs(batch)).map((job) => [job.id, job]));
      } catch (error) {
        this.options.logger.warn(
          {
            err: (error as Error).message,
            jobFolders: result.jobFolders,
            bytesFreed: result.bytesFreed,
          },
          'redis is unreachable: skipping the sweep of the shared output volume until the next interval',
        );
        return false;
      }
      await Promise.all(
        batch.map((id) => this.limit(() => this.sweepJobFolder(id, known.get(id), now, result))),
      );
      await yieldToLoop();
    }
    return true;
  }

  private async sweepJobFolder(
    id: string,
    job: SweepJobFacts | undefined,
    now: number,
    result: SweepResult,
  ): Promise<void> {
    const cutoff = now - this.options.retentionMs;
    if (job && !isTerminal(job.state)) {
      result.kept++; // queued or running: its files are in use, however old
      return;
    }
    if (job?.finishedAt !== undefined && job.finishedAt > cutoff) {
      result.kept++;
      return;
    }
    const path = join(this.root, id);
    const facts = await survey(path);
    // Unknown to Redis (or terminal without a finish time): only files nobody touched within the retention.
    if (job?.finishedAt === undefined && facts.newestMtimeMs > cutoff) {
      result.kept++;
      return;
    }
    await remove(path);
    result.jobFolders++;
    result.bytesFreed += facts.bytes;
    this.removedItems?.inc({ kind: 'job_folder' });
    this.removedBytes?.inc(facts.bytes);
  }

  private async sweepHeartbeats(result: SweepResult, now: number): Promise<void> {
    const dir = join(this.root, REPLICAS_DIR);
    const names = await readdir(dir).catch(() => [] as string[]);
    const cutoff = now - this.options.heartbeatMaxAgeMs;
    await Promise.all(
      names.map((name) =>
        this.limit(async () => {
          const path = join(dir, name);
          const info = await lstat(path).catch(() => undefined);
          if (!info?.isFile() || info.mtimeMs > cutoff) return;
          await remove(path);
          result.heartbeats++;
          if (info.nlink <= 1) result.bytesFreed += info.size;
          this.removedItems?.inc({ kind: 'heartbeat' });
          if (info.nlink <= 1) this.removedBytes?.inc(info.size);
        }),
      ),
    );
  }
}
