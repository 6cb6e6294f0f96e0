/**
 * @fileoverview Gathers what the queue/history/jobs routes answer from: this user's relay jobs (the
 * live list, state/live-jobs.ts: no relay call) and the local ComfyUI's own queue and history,
 * merged by shapes/sources.ts with each relay record validated once per change (its memo).
 * Every queue number seen on the way keeps the remote numbering above the local one.
 */
import type { LocalComfy } from '../comfy/local-comfy';
import type { Logger } from '../logger';
import type { OutputStore } from '../outputs/output-store';
import { buildUserView, createViewMemo, type UserView } from '../shapes/sources';
import type { LiveJobs } from '../state/live-jobs';
import { historyNumbers, queueNumbers, type QueueNumbers } from '../state/queue-numbers';
import type { StateStore } from '../state/state-store';

export type ViewSource = { load(): Promise<UserView> };

/** While the list may be behind (relay unreachable), one resync attempt at most this often. */
const RESYNC_EVERY_MS = 2_000;

export function createViewSource(deps: {
  live: LiveJobs;
  local: LocalComfy;
  state: StateStore;
  outputs: OutputStore;
  /** Every number seen here moves the queue counter past it (local and remote share one sequence). */
  numbers: QueueNumbers;
  logger: Logger;
}): ViewSource {
  const memo = createViewMemo();
  let resyncing: Promise<unknown> | undefined;
  let lastTry = 0;
  /** A stale list (no resync since the relay came back, or it failed): try once, then serve it. */
  const fresh = () => {
    if (!deps.live.list().stale) return Promise.resolve();
    if (!resyncing && Date.now() - lastTry >= RESYNC_EVERY_MS) {
      lastTry = Date.now();
      resyncing = deps.live
        .resync()
        .catch((error: unknown) =>
          deps.logger.warn(
            { err: error instanceof Error ? error.message : error },
            'relay job list unavailable; serving the last one',
          ),
        )
        .finally(() => (resyncing = undefined));
    }
    return resyncing ?? Promise.resolve();
  };
  let numbered = new WeakSet<object>();
  return {
    async load() {
      const [, localQueue, localHistory] = await Promise.all([
        fresh(),
        deps.local.getJson('/queue'),
        deps.local.getJson('/history'),
      ]);
      const relay = deps.live.list();
      deps.numbers.observe([...queueNumbers(localQueue), ...historyNumbers(localHistory)]);
      if (!numbered.has(relay.jobs)) {
        numbered = new WeakSet([relay.jobs]);
        deps.numbers.observe(relay.jobs.map((job) => job.number));
        for (const job of relay.jobs)
          if (job.state === 'done') deps.outputs.prefetch(job.id, job.outputs);
      }
      const view = buildUserView({
        relayJobs: relay.jobs,
        isHidden: (id, finishedAt) => deps.state.isHidden(id, finishedAt),
        lookup: deps.outputs.lookup,
        localQueue,
        localHistory,
        memo,
      });
      for (const bad of view.rejected)
        deps.logger.error(bad, 'job record failed the ComfyUI schema; left out of the answer');
      return view;
    },
  };
}
