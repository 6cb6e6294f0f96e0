/**
 * @fileoverview The dashboard's REST client for the relay's admin-visible API (protocol/relay/api):
 * bearer auth, timeouts, answers parsed with the protocol schemas, failures sorted into the three
 * cases the page treats differently (token refused, relay unreachable, request refused).
 */
import { QueueStatus } from '../../../protocol/src/relay/api';
import { JobView, type Lane } from '../../../protocol/src/relay/job';

export type ApiFailure = 'unauthorized' | 'unreachable' | 'refused';

export class RelayApiError extends Error {
  constructor(
    readonly kind: ApiFailure,
    message: string,
    readonly status = 0,
  ) {
    super(message);
    this.name = 'RelayApiError';
  }
}

export type ListQuery = { state?: string[]; user?: string; limit?: number };

export type RelayApi = {
  listJobs(query?: ListQuery): Promise<{ jobs: JobView[]; total: number; skipped: number }>;
  getJob(id: string): Promise<JobView>;
  queueStatus(): Promise<QueueStatus>;
  cancel(id: string): Promise<JobView>;
  setLane(id: string, lane: Lane): Promise<JobView>;
};

const TIMEOUT_MS = 10_000;

export function createRelayApi(
  baseUrl: string,
  token: string,
  fetchImpl: typeof fetch = (...a) => fetch(...a),
): RelayApi {
  async function call(method: string, path: string, body?: unknown): Promise<unknown> {
    let response: Response;
    try {
      response = await fetchImpl(new URL(path, baseUrl), {
        method,
        headers: {
          // '' = the proxy in front (nginx, basic auth) adds the operator's Bearer token itself.
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
        cache: 'no-store',
      });
    } catch (error) {
      throw new RelayApiError(
        'unreachable',
        `no answer from the relay: ${(error as Error).message}`,
      );
    }
    const text = await response.text().catch(() => '');
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (response.ok) return parsed;
    const message =
      (parsed as { error?: { message?: string } } | undefined)?.error?.message ??
      `${response.status} ${response.statusText}`;
    if (response.status === 401) throw new RelayApiError('unauthorized', message, 401);
    // A proxy in front of a stopped relay answers 502/504; a relay without Redis answers 503.
    if (response.status === 502 || response.status === 503 || response.status === 504)
      throw new RelayApiError('unreachable', message, response.status);
    throw new RelayApiError('refused', message, response.status);
  }

  const job = (value: unknown): JobView => {
    const parsed = JobView.safeParse((value as { job?: unknown } | undefined)?.job);
    if (!parsed.success)
      throw new RelayApiError(
        'refused',
        `the relay sent a job the dashboard cannot read: ${parsed.error.issues[0]?.message ?? ''}`,
      );
    return parsed.data;
  };

  return {
    async listJobs(query = {}) {
      const params = new URLSearchParams({ full: '0' });
      if (query.state?.length) params.set('state', query.state.join(','));
      if (query.user) params.set('user', query.user);
      if (query.limit) params.set('limit', String(query.limit));
      const body = (await call('GET', `api/jobs?${params}`)) as
        { jobs?: unknown; total?: unknown } | undefined;
      const raw = Array.isArray(body?.jobs) ? body.jobs : [];
      // One malformed record must not blank the whole table: keep the good ones, count the rest.
      const jobs = raw.flatMap((item) => {
        const parsed = JobView.safeParse(item);
        return parsed.success ? [parsed.data] : [];
      });
      return {
        jobs,
        total: typeof body?.total === 'number' ? body.total : jobs.length,
        skipped: raw.length - jobs.length,
      };
    },
    async getJob(id) {
      return job(await call('GET', `api/jobs/${encodeURIComponent(id)}`));
    },
    async queueStatus() {
      const parsed = QueueStatus.safeParse(await call('GET', 'api/queue/status'));
      if (!parsed.success)
        throw new RelayApiError(
          'refused',
          `the relay's queue status is not readable: ${parsed.error.issues[0]?.message ?? ''}`,
        );
      return parsed.data;
    },
    async cancel(id) {
      return job(await call('DELETE', `api/jobs/${encodeURIComponent(id)}`));
    },
    async setLane(id, lane) {
      return job(await call('PATCH', `api/jobs/${encodeURIComponent(id)}/priority`, { lane }));
    },
  };
}
