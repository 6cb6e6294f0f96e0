/**
 * @fileoverview Cancelling this user's relay jobs (`DELETE {relay}/api/jobs/:id`) on behalf of
 * ComfyUI's queue delete/clear, interrupt and jobs-cancel routes. The relay only answers for the
 * token's own user, so an id that is not ours is never touched: it goes to the local ComfyUI.
 */
import { isTerminal, type JobState, type JobView } from '../../../protocol/src/relay/job';
import { RelayRefusedError } from '../errors';
import type { RelayClient } from '../relay/relay-client';
import type { JobSnapshot } from '../ws/event-pipeline';

const RUNNING_STATES: JobState[] = ['submitting', 'warming_up', 'running', 'fetching_outputs'];

export type JobControl = ReturnType<typeof createJobControl>;

export function createJobControl(
  relay: RelayClient,
  known: (id: string) => JobSnapshot | undefined,
) {
  async function find(id: string): Promise<Pick<JobView, 'id' | 'state'> | undefined> {
    const cached = known(id);
    if (cached && isTerminal(cached.state)) return cached;
    try {
      return (await relay.getJob(id)) ?? undefined;
    } catch (error) {
      if (error instanceof RelayRefusedError) return undefined; // someone else's id, or not an id at all
      throw error;
    }
  }

  async function cancelWhere(
    ids: readonly string[] | undefined,
    states: JobState[],
  ): Promise<string[]> {
    const targets = ids
      ? (await Promise.all(ids.map(find))).filter(
          (job): job is Pick<JobView, 'id' | 'state'> => !!job && states.includes(job.state),
        )
      : (await relay.listJobs({ state: states })).jobs;
    const cancelled = await Promise.all(
      targets.map(async (job) => ((await relay.cancelJob(job.id)) ? job.id : undefined)),
    );
    return cancelled.filter((id): id is string => id !== undefined);
  }

  return {
    /** Splits ids into this user's relay jobs and the rest (the local ComfyUI's, or unknown). */
    async split(ids: readonly string[]): Promise<{ mine: string[]; others: string[] }> {
      const found = await Promise.all(ids.map(find));
      return {
        mine: ids.filter((_, i) => found[i] !== undefined),
        others: ids.filter((_, i) => found[i] === undefined),
      };
    },
    /** Queue delete/clear: pending jobs only, as ComfyUI's queue delete ignores the running one. */
    cancelPending: (ids?: readonly string[]) => cancelWhere(ids, ['queued']),
    /** Interrupt: jobs already taken by a GPU (or being sent to one). */
    cancelRunning: (ids?: readonly string[]) => cancelWhere(ids, RUNNING_STATES),
    /** jobs cancel: pending → dequeue, running → interrupt; true when something was cancelled. */
    async cancel(id: string): Promise<boolean | undefined> {
      const job = await find(id);
      if (!job) return undefined;
      if (isTerminal(job.state)) return false;
      return (await relay.cancelJob(id)) !== undefined;
    },
  };
}
