/**
 * @fileoverview Learns from the relay's `/api/health` that its Redis lost its data (restarted
 * without persistence, flushed) and what that means here: the attendee's banner is told, and each
 * job this sidecar still holds as active that the relay no longer knows (404) is ended in its tab
 * with a clear error instead of waiting forever. Conservative on purpose: a job is declared lost
 * only when the relay reports the loss AND answers 404 for it AND it was created before the loss
 * was detected (a job queued since then is in the new Redis; a 404 alone proves nothing).
 */
import type { JobRecord } from '../../../protocol/src/comfy/sequence/facts';
import type { Logger } from '../logger';
import type { RelayClient } from './relay-client';

export type RelayDataLoss = { detectedAt: number; message: string };

/** The attendee's words; the banner adds the time in the browser's own clock. */
export const ATTENDEE_DATA_LOSS_MESSAGE =
  'The GPU queue restarted without its saved state: jobs queued before then were lost. Press Queue Prompt again for any job that did not finish.';

/** The exception of the `execution_error` that ends a lost job in its tab. */
export const LOST_JOB_MESSAGE =
  'This job was lost when the GPU queue restarted without its saved state; queue it again.';

/** Vanished jobs remembered for the next data-loss report (the oldest go first). */
const MAX_SUSPECTS = 500;

export type DataLossWatchOptions = {
  relay: Pick<RelayClient, 'health' | 'getJob'>;
  /** The jobs this sidecar holds as active now. */
  activeJobs: () => readonly JobRecord[];
  everyMs: number;
  logger: Logger;
  /** The relay reported a (new) data loss: tell the pages. */
  onDataLoss: (lost: RelayDataLoss) => void;
  /** These jobs are gone with the relay's data: end them in their tabs. */
  onJobsLost: (jobs: JobRecord[], message: string) => Promise<void>;
};

export type DataLossWatch = {
  readonly dataLost: RelayDataLoss | undefined;
  /** Jobs we held as active that the relay's list no longer has: checked on the next report. */
  suspect(jobs: readonly JobRecord[]): void;
  /** Reads /health now (coalesced; never rejects). */
  check(): Promise<void>;
  stop(): void;
};

export function watchRelayDataLoss(options: DataLossWatchOptions): DataLossWatch {
  const { relay, logger } = options;
  let dataLost: RelayDataLoss | undefined;
  const suspects = new Map<string, JobRecord>();
  let running: Promise<void> | undefined;

  const candidates = (detectedAt: number): JobRecord[] => {
    const byId = new Map<string, JobRecord>(suspects);
    for (const job of options.activeJobs()) byId.set(job.id, job);
    return [...byId.values()].filter((job) => job.createdAt <= detectedAt);
  };

  /** The candidates the relay answers 404 for; one it cannot answer now is checked next time. */
  const unknownToRelay = async (jobs: JobRecord[]): Promise<JobRecord[]> => {
    const gone: JobRecord[] = [];
    for (const job of jobs) {
      const found = await relay.getJob(job.id).then(
        (view) => view !== undefined,
        () => true,
      );
      if (found) suspects.delete(job.id);
      else gone.push(job);
    }
    return gone;
  };

  const once = async () => {
    const health = await relay.health();
    const reported = health?.redisDataLost;
    if (!reported) return;
    if (dataLost?.detectedAt !== reported.detectedAt) {
      dataLost = { detectedAt: reported.detectedAt, message: ATTENDEE_DATA_LOSS_MESSAGE };
      logger.warn(
        { detectedAt: reported.detectedAt },
        'the relay reports that its Redis lost its data; telling the attendee',
      );
      options.onDataLoss(dataLost);
    }
    const gone = await unknownToRelay(candidates(reported.detectedAt));
    if (!gone.length) return;
    logger.warn(
      { jobs: gone.map((job) => job.id) },
      'jobs lost with the relay data; ending them in their tabs',
    );
    for (const job of gone) suspects.delete(job.id);
    await options.onJobsLost(gone, LOST_JOB_MESSAGE);
  };

  const check = () => {
    running ??= once()
      .catch((error: unknown) =>
        logger.debug(
          { err: error instanceof Error ? error.message : error },
          'relay data-loss check failed; retried later',
        ),
      )
      .finally(() => (running = undefined));
    return running;
  };

  const timer = setInterval(() => void check(), options.everyMs);
  timer.unref();
  void check();

  return {
    get dataLost() {
      return dataLost;
    },
    suspect(jobs) {
      for (const job of jobs) suspects.set(job.id, job);
      // Kept until the relay answers for them; bounded, since without a loss nobody asks.
      for (const id of suspects.keys()) if (suspects.size > MAX_SUSPECTS) suspects.delete(id);
      void check();
    },
    check,
    stop: () => clearInterval(timer),
  };
}
