/**
 * @fileoverview The job list as pure rows: state wording, queue position, ETA counted down from
 * the snapshot, elapsed time per state, sampler progress, the error with its node, and which
 * operator actions apply.
 */
import type { JobError, JobState } from '../../../protocol/src/relay/job';
import { formatDuration, formatEta, formatTook } from '../../../ui-kit/format';
import { jobStateWords } from '../../../ui-kit/job-state-words';
import { isActive, type DashboardData, type TrackedJob } from './jobs-model';
import { stateTones, type Tone } from './tones';

export type JobFilter = { view: 'active' | 'all' | 'failed'; user?: string };

export type JobRow = {
  id: string;
  userId: string;
  state: JobState;
  label: string;
  tone: Tone;
  lane: 'normal' | 'priority';
  position: number | undefined;
  /** "starts in ~80 s" / "~40 s left" / "" */
  eta: string;
  /** waiting / cold start / running / total time, depending on the state */
  elapsed: string;
  detail: string;
  progress: number | undefined;
  backend: string;
  error: string | undefined;
  canCancel: boolean;
  canPrioritize: boolean;
};

/** "KSampler (node #3): CUDA out of memory" or the job-level message. */
export function describeError(error: JobError | undefined): string | undefined {
  if (!error) return undefined;
  const text = error.message || error.exceptionMessage;
  // The relay's message often names the node already ("KSampler (node 3) failed on the GPU: …").
  const named = error.nodeType !== '' && text.includes(error.nodeType);
  const where =
    error.nodeId && !named ? `${error.nodeType || 'node'} (node #${error.nodeId}): ` : '';
  return `${where}${text}`;
}

/**
 * `queued`: the relay's live count of waiting jobs (the Queued tile's number), so "#1 of N" agrees
 * with the tile; a job's own queueLength is from the moment its last event was sent.
 */
function jobRow(job: TrackedJob, now: number, queued: number | undefined): JobRow {
  const etaLeft = job.etaMs === undefined ? undefined : job.etaMs - (now - job.seenAt);
  let eta = '';
  let elapsed: string;
  let detail = '';
  switch (job.state) {
    case 'queued':
      elapsed = `waiting ${formatDuration(now - job.createdAt)}`;
      if (etaLeft !== undefined) eta = `starts in ${formatEta(etaLeft)}`;
      if (job.position !== undefined) {
        const length = Math.max(job.position, queued ?? job.queueLength ?? 0);
        detail = `#${job.position}${length ? ` of ${length}` : ''} in queue`;
      }
      break;
    case 'warming_up':
      elapsed = `cold start ${formatDuration(now - (job.coldStartSince ?? job.submittedAt ?? job.createdAt))}`;
      break;
    case 'submitting':
    case 'running':
    case 'fetching_outputs': {
      elapsed = `running ${formatDuration(now - (job.startedAt ?? job.submittedAt ?? job.createdAt))}`;
      if (etaLeft !== undefined && etaLeft > 0) eta = `${formatEta(etaLeft)} left`;
      const p = job.progress;
      if (p)
        detail = `${p.nodeType ?? `node #${p.nodeId}`}${p.max > 1 ? ` · step ${p.value}/${p.max}` : ''}`;
      break;
    }
    default:
      elapsed = `took ${formatTook((job.finishedAt ?? now) - job.createdAt)}`;
  }
  const p = job.progress;
  return {
    id: job.id,
    userId: job.userId,
    state: job.state,
    label: jobStateWords[job.state],
    tone: stateTones[job.state],
    lane: job.lane,
    position: job.state === 'queued' ? job.position : undefined,
    eta,
    elapsed,
    detail,
    progress: job.state === 'running' && p && p.max > 0 ? Math.min(1, p.value / p.max) : undefined,
    backend: job.backend ?? '',
    error: describeError(job.error),
    canCancel: isActive(job.state),
    canPrioritize: job.state === 'queued',
  };
}

/**
 * The job list: running work first (longest running on top), then the queue in dispatch order,
 * then finished jobs newest first.
 */
export function jobRows(
  data: DashboardData,
  now: number,
  filter: JobFilter,
  limit = 200,
): JobRow[] {
  const group = (job: TrackedJob) => (job.state === 'queued' ? 1 : isActive(job.state) ? 0 : 2);
  const jobs = [...data.jobs.values()]
    .filter((job) => (filter.user ? job.userId === filter.user : true))
    .filter((job) =>
      filter.view === 'active'
        ? isActive(job.state)
        : filter.view === 'failed'
          ? job.state === 'failed'
          : true,
    )
    .sort((a, b) => {
      const g = group(a) - group(b);
      if (g !== 0) return g;
      if (group(a) === 0) return (a.startedAt ?? a.createdAt) - (b.startedAt ?? b.createdAt);
      if (group(a) === 1)
        return (a.position ?? Infinity) - (b.position ?? Infinity) || a.createdAt - b.createdAt;
      return (b.finishedAt ?? b.createdAt) - (a.finishedAt ?? a.createdAt);
    });
  return jobs.slice(0, limit).map((job) => jobRow(job, now, data.status?.queued));
}
