/**
 * @fileoverview One tracker row per job, as a pure function (label, line, thumbnail, actions),
 * so the wording is tested without a DOM and matches the banner's (state words: ui-kit).
 */
import { formatDuration, formatEta, formatTook } from '../../../ui-kit/format';
import { jobStateWords } from '../../../ui-kit/job-state-words';
import { isFinal, type TrackedJob } from './jobs-state';

export type ThumbFile = { filename: string; subfolder: string; type: string };

export type JobRow = {
  id: string;
  state: TrackedJob['state'];
  label: string;
  line: string;
  error?: string;
  thumb?: ThumbFile;
  canCancel: boolean;
  canRequeue: boolean;
};

const imageExt = /\.(png|jpe?g|webp|gif|avif)$/i;

/** The first image among the job's outputs, preferring saved (`output`) over temporary ones. */
export function firstImage(job: TrackedJob): ThumbFile | undefined {
  const files = Object.values(job.outputs)
    .flatMap((o) => (Array.isArray(o.images) ? o.images : []))
    .filter(
      (f): f is ThumbFile =>
        typeof f === 'object' &&
        f !== null &&
        typeof (f as ThumbFile).filename === 'string' &&
        imageExt.test((f as ThumbFile).filename),
    );
  return files.find((f) => f.type === 'output') ?? files[0];
}

export function jobRow(
  job: TrackedJob,
  now: number,
  nodeTitle?: (id: string) => string | undefined,
): JobRow {
  const parts: string[] = [];
  switch (job.state) {
    case 'queued':
      if (job.position !== undefined)
        parts.push(`position ${job.position}${job.queueLength ? ` of ${job.queueLength}` : ''}`);
      if (job.etaAt !== undefined) parts.push(`starts in ${formatEta(job.etaAt - now)}`);
      parts.push(`waiting ${formatDuration(now - job.createdAt)}`);
      break;
    case 'submitting':
    case 'fetching_outputs':
      parts.push(formatDuration(now - (job.startedAt ?? job.createdAt)));
      break;
    case 'warming_up':
      parts.push(`cold start ${formatDuration(now - (job.coldStartSince ?? job.createdAt))}`);
      break;
    case 'running': {
      const p = job.progress;
      if (p) parts.push(nodeTitle?.(p.nodeId) ?? p.nodeType ?? `node #${p.nodeId}`);
      if (p && p.max > 1) parts.push(`step ${p.value} of ${p.max}`);
      parts.push(formatDuration(now - (job.startedAt ?? job.createdAt)));
      if (job.etaAt !== undefined && job.etaAt > now)
        parts.push(`~${formatEta(job.etaAt - now).replace('~', '')} left`);
      break;
    }
    case 'done':
      parts.push(`in ${formatTook((job.finishedAt ?? job.updatedAt) - job.createdAt)}`);
      break;
    case 'failed':
    case 'cancelled':
      if (job.finishedAt) parts.push(`after ${formatDuration(job.finishedAt - job.createdAt)}`);
      break;
  }
  // The time of day identifies a finished job; an active one is identified by its progress.
  if (isFinal(job.state))
    parts.push(
      new Date(job.createdAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }),
    );
  const e = job.error;
  const where = e?.nodeId
    ? ` — ${nodeTitle?.(e.nodeId) ?? e.nodeType ?? ''} (node #${e.nodeId})`
    : '';
  return {
    id: job.id,
    state: job.state,
    // ComfyUI's queue number counts from 0; people count from 1, so an attendee's first job is #1.
    label: `${jobStateWords[job.state]}${job.number !== undefined ? ` · #${job.number + 1}` : ''}`,
    line: parts.join(' · '),
    error: job.state === 'failed' ? `${e?.message || 'the job failed'}${where}` : undefined,
    thumb: firstImage(job),
    canCancel: !isFinal(job.state),
    canRequeue: isFinal(job.state),
  };
}
