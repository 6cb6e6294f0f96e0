/**
 * @fileoverview Fetches the attendee's active and finished jobs from the sidecar, preferring
 * `/api/jobs` and falling back to `/queue` + `/history` when the server predates it (404).
 */
import { fromHistory, fromJobsApiList, fromQueue } from '../state/poll-adapters';
import type { PolledJob } from '../state/jobs-state';

export type FetchLike = (url: string, init?: RequestInit) => Promise<Response>;

export type JobLists = { active: PolledJob[]; finished: PolledJob[]; api: 'jobs' | 'legacy' };

/** How many finished jobs one poll reads; the same page size the stock queue panel uses. */
export const FINISHED_PAGE = 64;

export class JobSource {
  private legacy = false;

  /** @param apiBase absolute URL of the API root, e.g. `https://host/user001/api` */
  constructor(
    private readonly apiBase: string,
    private readonly fetchFn: FetchLike,
    private readonly headers: Record<string, string> = {},
  ) {}

  private async get(route: string): Promise<Response> {
    return this.fetchFn(`${this.apiBase}${route}`, { headers: this.headers, cache: 'no-cache' });
  }

  private async json(route: string): Promise<unknown> {
    const res = await this.get(route);
    if (!res.ok) throw new Error(`GET ${route}: HTTP ${res.status}`);
    return res.json();
  }

  async fetchLists(): Promise<JobLists> {
    if (!this.legacy) {
      const res = await this.get('/jobs?status=in_progress,pending&limit=200&offset=0');
      if (res.status === 404) {
        this.legacy = true;
      } else {
        if (!res.ok) throw new Error(`GET /jobs: HTTP ${res.status}`);
        const active = fromJobsApiList(await res.json());
        const finished = fromJobsApiList(
          await this.json(
            `/jobs?status=completed,failed,cancelled&limit=${FINISHED_PAGE}&offset=0`,
          ),
        );
        return { active, finished, api: 'jobs' };
      }
    }
    const [queue, history] = await Promise.all([
      this.json('/queue'),
      this.json(`/history?max_items=${FINISHED_PAGE}`),
    ]);
    return { active: fromQueue(queue), finished: fromHistory(history), api: 'legacy' };
  }
}
