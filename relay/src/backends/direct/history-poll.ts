/**
 * @fileoverview The direct backend's safety net for missed socket messages: the GPU's /history says
 * the job is done (and the socket stayed silent for a while, or is down) → finish from it; neither
 * done nor queued three times running → the GPU lost it (or it was cancelled while pending there).
 * And a resumed job's first look: finished from history, attached to, unknown, or the GPU died.
 */
import type { ComfyClient } from '../../../../kit/comfy/client';
import { ComfyUnavailable } from '../../../../kit/comfy/errors';
import type { JobTracker } from '../job-tracker';

/** How long history may say "done" while the socket is up before history, not the socket, ends the job. */
const SOCKET_GRACE_MS = 2_000;

export async function pollHistory(
  client: ComfyClient,
  jobId: string,
  tracker: JobTracker,
  eager: boolean,
): Promise<void> {
  if (tracker.ended || tracker.hasTerminal) return;
  try {
    const entry = await client.history(jobId);
    if (entry) {
      const now = Date.now();
      tracker.historySeenAt ??= now;
      if (eager || now - tracker.historySeenAt >= SOCKET_GRACE_MS) tracker.finishFromHistory(entry);
    } else if (tracker.onGpu && !(await client.inQueue(jobId))) {
      // Neither done nor queued: cancelled while pending there, or the GPU restarted and forgot it.
      if (tracker.cancelRequested) tracker.endInterrupted();
      else if (++tracker.vanished >= 3)
        tracker.lost?.('it no longer knows the job (was it restarted?)');
    } else {
      tracker.vanished = 0;
    }
  } catch {
    // GPU unreachable: keep waiting; the socket reconnects and the next poll tries again.
  }
}

/**
 * A resumed job's prompt on this GPU: finished from history or attached to ('has'), not known
 * ('unknown'), or the GPU died meanwhile ('dead'). An unreachable GPU is asked again until the
 * socket is back or it is judged dead.
 */
export async function findResumed(
  client: ComfyClient,
  jobId: string,
  tracker: JobTracker,
  gpu: { signal: AbortSignal; dead: () => boolean; pollMs: number },
): Promise<'has' | 'unknown' | 'dead'> {
  for (;;) {
    try {
      const entry = await client.history(jobId);
      if (entry) {
        tracker.finishFromHistory(entry);
        return 'has';
      }
      return (await client.inQueue(jobId)) ? 'has' : 'unknown';
    } catch (error) {
      if (!(error instanceof ComfyUnavailable)) throw error;
      if (gpu.dead()) return 'dead';
      gpu.signal.throwIfAborted();
      await new Promise((r) => setTimeout(r, gpu.pollMs));
    }
  }
}
