/**
 * @fileoverview Cancelling this user's relay jobs (`DELETE {relay}/api/jobs/:id`) on behalf of
 * ComfyUI's queue delete/clear, interrupt and jobs-cancel routes. The relay only answers for the
 * token's own user, so an id that is not ours is never touched: it goes to the local ComfyUI.
 * One relay call per job: the DELETE answers whether the job is ours (404: not), whether it
 * cancelled it, and with `onlyIf` leaves a job in another state alone, atomically.
 */
import { isTerminal, type JobState, type JobView } from '../../../protocol/src/relay/job';
import { RelayRefusedError } from '../errors';
import type { RelayClient } from '../relay/relay-client';
import type { JobSnapshot } from '../ws/event-pipeline';

const RUNNING_STATES: JobState[] = ['submitting', 'warming_up', 'running', 'fetching_outputs'];

export type JobControl = ReturnType<typeof createJobControl>;

/** Ids sorted by the relay's answer: this user's relay jobs, the rest, and those cancelled now. */
export type CancelSplit = { mine: string[]; others: string[]; cancelled: string[] };

export function createJobControl(
  relay: RelayClient,
  known: (id: string) => JobSnapshot | undefined,
) {
  /** undefined: someone else's id, or not an id at all (the relay refused it). */
  async function orNotOurs<T>(call: () => Promise<T | undefined>): Promise<T | undefined> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof RelayRefusedError) return undefined;
      throw error;
    }
  }

  async function find(id: string): Promise<Pick<JobView, 'id' | 'state'> | undefined> {
    const cached = known(id);
    if (cached && isTerminal(cached.state)) return cached;
    return orNotOurs(() => relay.getJob(id));
  }

  /** Whether this call cancelled the job (false: finished already, or not in `onlyIf`); undefined: not ours. */
  async function cancelOne(id: string, onlyIf?: readonly JobState[]): Promise<boolean | undefined> {
    const cached = known(id);
    if (cached && isTerminal(cached.state)) return false; // finished: nothing to ask the relay
    return (await orNotOurs(() => relay.cancelJob(id, onlyIf)))?.cancelled;
  }

  async function cancelEach(
    ids: readonly string[],
    onlyIf?: readonly JobState[],
  ): Promise<CancelSplit> {
    const results = await Promise.all(ids.map((id) => cancelOne(id, onlyIf)));
    return {
      mine: ids.filter((_, i) => results[i] !== undefined),
      others: ids.filter((_, i) => results[i] === undefined),
      cancelled: ids.filter((_, i) => results[i] === true),
    };
  }

  /** With ids: those among them in `states`; without: every job of this user in `states`. */
  async function cancelWhere(
    ids: readonly string[] | undefined,
    states: readonly JobState[],
  ): Promise<CancelSplit> {
    if (ids) return cancelEach(ids, states);
    const listed = (await relay.listJobs({ state: [...states] })).jobs.map((job) => job.id);
    return { ...(await cancelEach(listed, states)), others: [] };
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
    cancel: (id: string): Promise<boolean | undefined> => cancelOne(id),
    /** jobs cancel of several ids at once. */
    cancelMany: (ids: readonly string[]): Promise<CancelSplit> => cancelEach(ids),
  };
}
