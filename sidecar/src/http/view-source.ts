/**
 * @fileoverview Gathers what the queue/history/jobs routes answer from: this user's relay jobs and
 * the local ComfyUI's own queue and history, fetched in parallel and merged by shapes/sources.ts.
 * Every queue number seen on the way keeps the remote numbering above the local one.
 */
import type { LocalComfy } from '../comfy/local-comfy';
import type { Logger } from '../logger';
import type { OutputStore } from '../outputs/output-store';
import type { RelayJobs } from '../relay/relay-jobs';
import { buildUserView, type UserView } from '../shapes/sources';
import { historyNumbers, queueNumbers, type QueueNumbers } from '../state/queue-numbers';
import type { StateStore } from '../state/state-store';

export type ViewSource = { load(): Promise<UserView> };

export function createViewSource(deps: {
  relayJobs: RelayJobs;
  local: LocalComfy;
  state: StateStore;
  outputs: OutputStore;
  /** Every number seen here moves the queue counter past it (local and remote share one sequence). */
  numbers: QueueNumbers;
  logger: Logger;
}): ViewSource {
  return {
    async load() {
      const [relay, localQueue, localHistory] = await Promise.all([
        deps.relayJobs.list(),
        deps.local.getJson('/queue'),
        deps.local.getJson('/history'),
      ]);
      deps.numbers.observe([
        ...queueNumbers(localQueue),
        ...historyNumbers(localHistory),
        ...relay.jobs.map((job) => job.number),
      ]);
      const view = buildUserView({
        relayJobs: relay.jobs,
        isHidden: (id, finishedAt) => deps.state.isHidden(id, finishedAt),
        lookup: deps.outputs.lookup,
        localQueue,
        localHistory,
      });
      for (const job of relay.jobs)
        if (job.state === 'done') deps.outputs.prefetch(job.id, job.outputs);
      for (const bad of view.rejected)
        deps.logger.error(bad, 'job record failed the ComfyUI schema; left out of the answer');
      return view;
    },
  };
}
