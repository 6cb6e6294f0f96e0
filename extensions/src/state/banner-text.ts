/**
 * @fileoverview What the status banner says, as a pure function of the tracked jobs and the clock.
 * It only states what the sidecar reported: no ETA without one from the relay, no step count
 * without progress, no node name unless the job named a node.
 */
import { formatDuration, formatEta, formatTook } from '../../../ui-kit/format';
import { jobStateWords } from '../../../ui-kit/job-state-words';
import { isFinal, type RelayState, type TrackedJob } from './jobs-state';

export type BannerPhase =
  | 'sending'
  | 'queued'
  | 'submitting'
  | 'warming_up'
  | 'running'
  | 'saving'
  | 'done'
  | 'failed'
  | 'cancelled'
  | 'summary'
  | 'offline'
  | 'data_lost';

export type BannerTone = 'neutral' | 'progress' | 'warning' | 'success' | 'danger';

export type BannerView = {
  phase: BannerPhase;
  tone: BannerTone;
  title: string;
  detail?: string;
  /** 0..1 when a step count is known. */
  progress?: number;
  /** Dismissal key: a dismissed banner comes back when this changes (a new job, or the outcome). */
  key: string;
  /** A settled outcome: shown small, title only, so a room's screens are not full of "Done". */
  compact?: boolean;
};

export type BannerInput = {
  jobs: TrackedJob[];
  now: number;
  /** Prompts this tab is posting right now (between promptQueueing and the server's answer). */
  sending: number;
  relay?: RelayState | null;
  /** The data-loss banner's key the attendee dismissed (kept apart from other dismissals, so it does not come back). */
  dataLossDismissed?: string;
  /** The node's title in the open graph, when the graph has that node. */
  nodeTitle?: (nodeId: string) => string | undefined;
  /** How long a finished (not failed) job keeps the banner at all (ms). */
  keepFinishedMs?: number;
  /** How long "Done" / "Cancelled" stays full size before it settles to a compact chip (ms). */
  settleMs?: number;
  /**
   * The host frontend draws its own run progress (ComfyUI frontend ≥ 1.32.7 has a progress panel
   * under Run): then the banner adds only what it cannot know (where the job is, queue position,
   * ETA, GPU warm-up), never a second progress bar or step count.
   */
  hostShowsProgress?: boolean;
};

/** How long "Done" stays full size unless the attendee's setting says otherwise. */
export const DEFAULT_SETTLE_MS = 5_000;

export function nodeLabel(
  job: TrackedJob,
  nodeId: string,
  nodeType: string | undefined,
  input: BannerInput,
): string {
  const title = input.nodeTitle?.(nodeId);
  if (title) return title;
  return nodeType || `node #${nodeId}`;
}

const activeOrder = ['fetching_outputs', 'running', 'warming_up', 'submitting', 'queued'] as const;

function single(job: TrackedJob, input: BannerInput): BannerView {
  const { now } = input;
  const key = `${job.id}:${isFinal(job.state) ? job.state : 'active'}`;
  const since = (t: number | undefined) => formatDuration(now - (t ?? job.createdAt));
  switch (job.state) {
    case 'queued': {
      const where =
        job.position !== undefined
          ? ` — position ${job.position}${job.queueLength ? ` of ${job.queueLength}` : ''}`
          : '';
      const detail =
        job.etaAt !== undefined
          ? `Starts in ${formatEta(job.etaAt - now)}`
          : `Waiting for a GPU · ${since(job.createdAt)}`;
      return { phase: 'queued', tone: 'neutral', title: `Queued${where}`, detail, key };
    }
    case 'submitting':
      // The time since Run, said as such: a bare "19 s" beside "Starting" reads as a slow start.
      return {
        phase: 'submitting',
        tone: 'progress',
        title: 'Starting on the GPU',
        detail: `Queued ${since(job.createdAt)} ago`,
        key,
      };
    case 'warming_up':
      return {
        phase: 'warming_up',
        tone: 'warning',
        title: jobStateWords.warming_up,
        detail: `Cold start, ${since(job.coldStartSince)} so far — the first job after a pause takes longer`,
        key,
      };
    case 'running': {
      if (input.hostShowsProgress) {
        const parts = [since(job.startedAt)];
        if (job.etaAt !== undefined && job.etaAt > now)
          parts.push(`${formatEta(job.etaAt - now)} left`);
        return {
          phase: 'running',
          tone: 'progress',
          title: 'Running on the GPU',
          detail: parts.join(' · '),
          key,
        };
      }
      const p = job.progress;
      const title = p ? `Running ${nodeLabel(job, p.nodeId, p.nodeType, input)}` : 'Running';
      const parts: string[] = [];
      if (p && p.max > 1) parts.push(`step ${p.value} of ${p.max}`);
      parts.push(since(job.startedAt));
      if (job.etaAt !== undefined && job.etaAt > now)
        parts.push(`${formatEta(job.etaAt - now)} left`);
      const detail = parts.join(' · ');
      const progress = p && p.max > 0 ? Math.min(1, p.value / p.max) : undefined;
      return {
        phase: 'running',
        tone: 'progress',
        title,
        detail: detail[0]!.toUpperCase() + detail.slice(1),
        progress,
        key,
      };
    }
    case 'fetching_outputs':
      return {
        phase: 'saving',
        tone: 'progress',
        title: jobStateWords.fetching_outputs,
        detail: `Copying the results to your ComfyUI · ${since(job.startedAt)}`,
        key,
      };
    case 'done':
      return {
        phase: 'done',
        tone: 'success',
        title: `Done in ${formatTook((job.finishedAt ?? now) - job.createdAt)}`,
        key,
      };
    case 'failed': {
      const e = job.error;
      const where = e?.nodeId
        ? `in ${nodeLabel(job, e.nodeId, e.nodeType, input)} (node #${e.nodeId}${e.nodeType ? `, ${e.nodeType}` : ''})`
        : undefined;
      return {
        phase: 'failed',
        tone: 'danger',
        title: `Failed: ${e?.message || 'the job failed'}`,
        detail: where,
        key,
      };
    }
    case 'cancelled':
      return { phase: 'cancelled', tone: 'neutral', title: jobStateWords.cancelled, key };
  }
}

const stateWord: Record<string, string> = {
  fetching_outputs: 'saving',
  running: 'running',
  warming_up: 'warming up',
  submitting: 'starting',
  queued: 'queued',
};

function summary(active: TrackedJob[], input: BannerInput): BannerView {
  const counts = activeOrder
    .map((s) => [s, active.filter((j) => j.state === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${stateWord[s]}`);
  const queued = active.filter((j) => j.state === 'queued' && j.etaAt !== undefined);
  const nextEta = queued.length ? Math.min(...queued.map((j) => j.etaAt!)) : undefined;
  const title = `${active.length} jobs: ${counts.join(', ')}${nextEta !== undefined ? ` — next in ${formatEta(nextEta - input.now)}` : ''}`;
  const lead = activeOrder.map((s) => active.find((j) => j.state === s)).find(Boolean)!;
  const leadView = single(lead, input);
  const ids = active
    .map((j) => j.id)
    .sort()
    .join(',');
  const progressing = active.some((j) => j.state !== 'queued');
  return {
    phase: 'summary',
    tone: active.some((j) => j.state === 'warming_up')
      ? 'warning'
      : progressing
        ? 'progress'
        : 'neutral',
    title,
    detail: `${leadView.title}${leadView.detail ? ` · ${leadView.detail}` : ''}`,
    progress: leadView.progress,
    key: `summary:${ids}`,
  };
}

export function describeBanner(input: BannerInput): BannerView | null {
  if (input.relay && !input.relay.connected) {
    return {
      phase: 'offline',
      tone: 'danger',
      title: 'GPU queue unreachable',
      detail: input.relay.message || 'Your ComfyUI lost its connection to the GPU queue',
      key: `offline:${input.relay.message ?? ''}`,
    };
  }
  const lost = dataLossView(input);
  if (lost) return lost;
  const active = input.jobs.filter((j) => !isFinal(j.state));
  if (input.sending > 0 && active.length === 0) {
    return {
      phase: 'sending',
      tone: 'progress',
      title: 'Sending…',
      detail: 'Handing your workflow to the GPU queue',
      key: 'sending',
    };
  }
  if (active.length === 1) return single(active[0]!, input);
  if (active.length > 1) return summary(active, input);
  const keep = input.keepFinishedMs ?? 10 * 60_000;
  const last = input.jobs
    .filter((j) => isFinal(j.state))
    .sort((a, b) => (b.finishedAt ?? b.updatedAt) - (a.finishedAt ?? a.updatedAt))[0];
  if (!last) return null;
  // A failure stays until the attendee dismisses it (or a newer job takes the banner).
  if (last.state === 'failed') return single(last, input);
  const finalFor = input.now - Math.max(last.updatedAt, last.finishedAt ?? 0);
  if (finalFor > keep) return null;
  const view = single(last, input);
  // Settling counts from when this tab learnt the outcome (local clock), not the server's timestamp.
  const settled = input.now - last.updatedAt >= (input.settleMs ?? DEFAULT_SETTLE_MS);
  return settled ? { ...view, detail: undefined, compact: true } : view;
}

/** "10:42" in the attendee's own clock. */
export function formatClock(at: number): string {
  const d = new Date(at);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/**
 * The GPU queue lost its saved jobs (its Redis restarted without persistence): a warning that
 * stays above the jobs until the attendee dismisses it, since the jobs it names simply ended.
 */
function dataLossView(input: BannerInput): BannerView | null {
  const lost = input.relay?.dataLost;
  if (!lost) return null;
  const key = `data-lost:${lost.detectedAt}`;
  if (input.dataLossDismissed === key) return null;
  return {
    phase: 'data_lost',
    tone: 'warning',
    title: `The GPU queue restarted at ${formatClock(lost.detectedAt)}`,
    detail: lost.message,
    key,
  };
}
