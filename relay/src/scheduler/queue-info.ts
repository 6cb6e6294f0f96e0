/**
 * @fileoverview A per-relay snapshot of the queue for positions and ETAs: queue length, median
 * run time, backend slots and how long running jobs have run. Refreshed on the heartbeat and
 * after queue changes; reads (GET /api/jobs, job events) use the latest snapshot.
 */
import type { JobView } from '../../../protocol/src/index';
import { toView, type StoredJob } from '../store/job-record';
import type { JobStore } from '../jobs/job-store';
import { median, startEtas } from './eta';

type Snapshot = {
  queueLength: number;
  runMs?: number;
  startEtas: number[];
  runningEnds: Map<string, number>;
  at: number;
};

export class QueueInfo {
  private snapshot: Snapshot = { queueLength: 0, startEtas: [], runningEnds: new Map(), at: 0 };

  constructor(
    private readonly store: Pick<JobStore, 'runtimes' | 'activeIds' | 'queueLength' | 'getMany'>,
    private readonly slots: () => number,
  ) {}

  get typicalRunMs(): number | undefined {
    return this.snapshot.runMs;
  }

  async refresh(now = Date.now()): Promise<void> {
    const [runtimes, activeIds, queueLength] = await Promise.all([
      this.store.runtimes(),
      this.store.activeIds(),
      this.store.queueLength(),
    ]);
    const runMs = median(runtimes);
    const running = await this.store.getMany(activeIds);
    const elapsed = running.map((job) => now - (job.startedAt ?? job.claimedAt ?? now));
    const runningEnds = new Map<string, number>();
    if (runMs !== undefined)
      running.forEach((job, i) => runningEnds.set(job.id, Math.max(0, runMs - elapsed[i]!)));
    this.snapshot = {
      queueLength,
      runMs,
      startEtas: runMs === undefined ? [] : startEtas(queueLength, runMs, this.slots(), elapsed),
      runningEnds,
      at: now,
    };
  }

  /** The public view of a job with its queue length and ETA (ms until start when queued, until end when running). */
  view(job: StoredJob, full = false, now = Date.now()): JobView {
    const s = this.snapshot;
    const age = now - s.at;
    let etaMs: number | undefined;
    if (job.state === 'queued' && job.position !== undefined) etaMs = s.startEtas[job.position - 1];
    else if (s.runningEnds.has(job.id)) etaMs = s.runningEnds.get(job.id);
    if (etaMs !== undefined) etaMs = Math.max(0, etaMs - age);
    const queueLength =
      job.state === 'queued' ? Math.max(s.queueLength, job.position ?? 0) : undefined;
    return toView(job, { full, queueLength, etaMs });
  }
}
