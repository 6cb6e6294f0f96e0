/**
 * @fileoverview This user's relay jobs, kept current from the event stream, so the queue, history
 * and jobs answers need no relay call: each `job` event replaces its record, a submission adds its
 * own (with the prompt and extra data it sent, which events never carry), and after each (re)connect
 * one resync replaces the list with the relay's, read in pages without prompts. Prompts the sidecar
 * does not hold (jobs it has not seen submitted, e.g. after a restart) are read once: with the
 * list itself when it holds none at all, else one job at a time.
 */
import type { JobView } from '../../../protocol/src/relay/job';
import type { RelayClient } from '../relay/relay-client';

/** A job record without its prompt, as `job` events carry it. */
type JobRecord = Omit<JobView, 'prompt' | 'extraData'>;

export type LiveJobs = {
  /** Newest first; `stale` while the relay is unreachable and the list may be behind. */
  list(): { jobs: JobView[]; stale: boolean };
  apply(job: JobRecord): void;
  submitted(job: JobView): void;
  /** Replaces the list with the relay's; returns it (for the active jobs' sequences). */
  resync(): Promise<JobView[]>;
  disconnected(): void;
  /** Jobs the relay lost (its Redis lost its data): no longer listed. */
  forget(ids: readonly string[]): void;
};

/** The relay lists at most this many jobs per user (its scan limit). */
const MAX_JOBS = 5_000;
const PAGE = 500;

const hasPrompt = (job: JobView) => job.prompt !== undefined;

export function createLiveJobs(relay: Pick<RelayClient, 'listJobs' | 'getJob'>): LiveJobs {
  const jobs = new Map<string, JobView>();
  let sorted: JobView[] | undefined;
  let stale = true;
  /** Ids changed by events or submissions while a resync was under way: those records are newer. */
  let touched: Set<string> | undefined;

  const put = (job: JobView) => {
    jobs.set(job.id, job);
    touched?.add(job.id);
    sorted = undefined;
  };

  async function listAll(prompts: boolean): Promise<JobView[]> {
    const all: JobView[] = [];
    for (let offset = 0; offset < MAX_JOBS; offset += PAGE) {
      const page = await relay.listJobs({ offset, limit: PAGE, prompts });
      all.push(...page.jobs);
      if (page.jobs.length < PAGE || offset + PAGE >= page.total) break;
    }
    return all;
  }

  return {
    list() {
      sorted ??= [...jobs.values()].sort(
        (a, b) => b.number - a.number || b.createdAt - a.createdAt,
      );
      return { jobs: sorted, stale };
    },
    apply(job) {
      const known = jobs.get(job.id);
      put({ ...job, prompt: known?.prompt, extraData: known?.extraData });
    },
    submitted(job) {
      put(job);
    },
    async resync() {
      const seen = new Set<string>();
      touched = seen;
      try {
        const listed = await listAll(jobs.size === 0);
        const missing = listed.filter((job) => !hasPrompt(job) && !jobs.get(job.id)?.prompt);
        const fetched = new Map<string, JobView>();
        for (const job of missing) {
          const full = await relay.getJob(job.id).catch(() => undefined);
          if (full) fetched.set(job.id, full);
        }
        const next = new Map<string, JobView>();
        for (const job of listed) {
          if (seen.has(job.id)) continue;
          const known = fetched.get(job.id) ?? jobs.get(job.id);
          next.set(
            job.id,
            hasPrompt(job) ? job : { ...job, prompt: known?.prompt, extraData: known?.extraData },
          );
        }
        for (const id of seen) {
          const job = jobs.get(id);
          if (job) next.set(id, job);
        }
        jobs.clear();
        for (const [id, job] of next) jobs.set(id, job);
        sorted = undefined;
        stale = false;
        return listed;
      } finally {
        if (touched === seen) touched = undefined;
      }
    },
    disconnected() {
      stale = true;
    },
    forget(ids) {
      for (const id of ids) jobs.delete(id);
      sorted = undefined;
    },
  };
}
