/**
 * @fileoverview The GPU replicas panel's rows, from the replicas' heartbeats (pure, tested): who
 * is live, what each runs (job, node, step), how many wait on it, when it last beat, its versions.
 */
import type { ReplicaInfo } from '../../../protocol/src/agent/admin';
import { formatAgo, shortId } from './format';

export type ReplicaRow = {
  id: string;
  tone: 'ok' | 'busy' | 'bad' | 'muted';
  label: string;
  /** The running job's id, for its agent log. */
  jobId?: string;
  /** "ab12cd34 · node 3 · 5/20", or "idle". */
  running: string;
  pending: number;
  lastSeen: string;
  version: string;
};

export function replicaRows(replicas: ReplicaInfo[], now: number): ReplicaRow[] {
  return [...replicas]
    .sort((a, b) =>
      a.state === b.state ? a.replica.localeCompare(b.replica) : a.state === 'live' ? -1 : 1,
    )
    .map((r) => {
      const job = r.running;
      const step =
        job?.progress && job.progress.max > 0 ? ` · ${job.progress.value}/${job.progress.max}` : '';
      const running = job
        ? [
            shortId(job.job),
            job.attempt > 1 ? `attempt ${job.attempt}` : '',
            job.node ? `node ${job.node}` : '',
          ]
            .filter(Boolean)
            .join(' · ') + step
        : 'idle';
      const live = r.state === 'live';
      return {
        id: r.replica,
        tone: !live ? 'bad' : job ? 'busy' : 'ok',
        label: !live ? 'no heartbeat' : job ? 'running' : 'idle',
        jobId: job?.job,
        running: live ? running : job ? `held ${shortId(job.job)} when it stopped` : '—',
        pending: r.pending.length,
        lastSeen: formatAgo(r.lastSeenAt, now),
        version: `ComfyUI ${r.comfyui} · agent ${r.agent}`,
      };
    });
}
