/**
 * @fileoverview Typed calls to the relay REST API (protocol/relay/api.ts) over one keep-alive pool.
 * Every call here is idempotent (submit is keyed by the job id), so transport failures and
 * 502/503/504 are retried a few times with p-retry; after that the caller gets RelayUnavailableError.
 * The pool reconnects by itself, so a relay that comes back is used again without any restart.
 */
import pRetry, { AbortError } from 'p-retry';
import { ErrorBody } from '../../../protocol/src/errors';
import {
  CancelJobResponse,
  Health,
  JobList,
  JobResponse,
  type SubmitJobRequest,
} from '../../../protocol/src/relay/api';
import type { JobState, JobView } from '../../../protocol/src/relay/job';
import { GalleryOptOut } from '../../../protocol/src/relay/gallery';
import { WorkshopWorkflowList } from '../../../protocol/src/relay/workshop';
import { RelayRefusedError, RelayStoreDownError, RelayUnavailableError } from '../errors';
import { bodyText, createHttpPool, type PoolResponse } from '../net/http-pool';

export type RelayClientOptions = {
  url: string;
  token: string;
  timeoutMs: number;
  retries?: number;
};

export type ViewResponse = {
  status: number;
  headers: PoolResponse['headers'];
  body: PoolResponse['body'];
};

export type RelayClient = {
  submitJob(request: SubmitJobRequest): Promise<JobView>;
  /** One page of this user's jobs, newest first; prompts and extra data only with `prompts`. */
  listJobs(query?: {
    state?: string[];
    offset?: number;
    limit?: number;
    prompts?: boolean;
  }): Promise<JobList>;
  getJob(id: string): Promise<JobView | undefined>;
  /**
   * DELETE /api/jobs/:id (only when its state is one of `onlyIf`, if given): the job after, its
   * state before, and whether this call cancelled it; undefined when the relay has no such job.
   */
  cancelJob(id: string, onlyIf?: readonly JobState[]): Promise<CancelJobResponse | undefined>;
  putInput(sha256: string, bytes: Buffer): Promise<void>;
  /** The GPU's /object_info (the relay's copy; `fresh` asks the GPU now, bounded by the relay). */
  objectInfo(options?: { fresh?: boolean }): Promise<Record<string, unknown>>;
  /** The GPU's answer to a ComfyUI listing route (`/models/checkpoints` …); undefined = the GPU has no such route. */
  gpuListing(path: string): Promise<unknown>;
  view(params: { filename: string; subfolder: string; type: string }): Promise<ViewResponse>;
  /** This attendee's gallery opt-out: read it, or set it when `optOut` is given (the relay's answer). */
  galleryOptOut(optOut?: boolean): Promise<boolean>;
  /** The instructor's workshop workflows (names, sizes, the default). */
  workshopWorkflows(): Promise<WorkshopWorkflowList>;
  /** One workshop workflow's JSON; undefined when the workshop has none by that name. */
  workshopWorkflow(name: string): Promise<unknown>;
  /** The relay's `/api/health` body (also when it answers 503); undefined when unreachable or not a health body. One try, no retries. */
  health(): Promise<Health | undefined>;
  close(): Promise<void>;
};

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** A non-2xx answer the relay gave on purpose: not retried (except the gateway statuses). */
class RelayHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`relay answered ${status}`);
  }
}

const transient = (status: number) => status === 502 || status === 503 || status === 504;

export function createRelayClient(options: RelayClientOptions): RelayClient {
  const base = new URL(options.url);
  const pathBase = base.pathname.replace(/\/+$/, '');
  const pool = createHttpPool(base.origin, { maxSockets: 16, timeoutMs: options.timeoutMs });
  const retries = options.retries ?? 2;

  async function call(
    method: Method,
    path: string,
    body?: Buffer | string,
    contentType = 'application/json',
  ) {
    const run = async () => {
      let response;
      try {
        response = await pool.request({
          method,
          path: pathBase + path,
          headers: {
            authorization: `Bearer ${options.token}`,
            accept: 'application/json',
            ...(body === undefined ? {} : { 'content-type': contentType }),
          },
          body,
        });
      } catch (error) {
        throw new RelayUnavailableError(error); // transport: retried
      }
      let text: string;
      try {
        text = await bodyText(response.body);
      } catch (error) {
        throw new RelayUnavailableError(error); // the body broke off: retried
      }
      if (response.statusCode >= 200 && response.statusCode < 300)
        return { status: response.statusCode, text };
      const parsed = safeJson(text);
      const failure = new RelayHttpError(response.statusCode, parsed ?? text);
      if (transient(response.statusCode)) throw new RelayUnavailableError(failure);
      throw new AbortError(failure);
    };
    try {
      return await pRetry(run, { retries, minTimeout: 150, maxTimeout: 1_000 });
    } catch (error) {
      if (error instanceof RelayHttpError) throw refused(error);
      if (error instanceof RelayUnavailableError) throw storeDown(error) ?? error;
      throw new RelayUnavailableError(error);
    }
  }

  const json = async (method: Method, path: string, body?: unknown) => {
    const { text } = await call(
      method,
      path,
      body === undefined ? undefined : JSON.stringify(body),
    );
    return text ? (JSON.parse(text) as unknown) : undefined;
  };
  const orUndefinedOn404 = async <T>(promise: Promise<T>): Promise<T | undefined> => {
    try {
      return await promise;
    } catch (error) {
      if (error instanceof RelayRefusedError && error.httpStatus === 404) return undefined;
      throw error;
    }
  };

  return {
    async submitJob(request) {
      return JobResponse.parse(await json('POST', '/api/jobs', request)).job;
    },
    async listJobs(query = {}) {
      const params = new URLSearchParams({ limit: String(query.limit ?? 1000) });
      if (query.offset) params.set('offset', String(query.offset));
      if (query.state?.length) params.set('state', query.state.join(','));
      if (query.prompts) params.set('prompts', '1');
      return JobList.parse(await json('GET', `/api/jobs?${params}`));
    },
    getJob: (id) =>
      orUndefinedOn404(
        json('GET', `/api/jobs/${encodeURIComponent(id)}`).then((b) => JobResponse.parse(b).job),
      ),
    cancelJob: (id, onlyIf) => {
      const query = onlyIf ? `?${new URLSearchParams({ onlyIf: onlyIf.join(',') })}` : '';
      return orUndefinedOn404(
        json('DELETE', `/api/jobs/${encodeURIComponent(id)}${query}`).then((b) =>
          CancelJobResponse.parse(b),
        ),
      );
    },
    async putInput(sha256, bytes) {
      await call('PUT', `/api/inputs/${sha256}`, bytes, 'application/octet-stream');
    },
    async objectInfo(options = {}) {
      const body = await json(
        'GET',
        options.fresh ? '/api/object_info?fresh=1' : '/api/object_info',
      );
      if (!body || typeof body !== 'object')
        throw new RelayUnavailableError(new Error('object_info is not an object'));
      return body as Record<string, unknown>;
    },
    gpuListing: (path) => orUndefinedOn404(json('GET', `/api/gpu${path}`)),
    async workshopWorkflows() {
      return WorkshopWorkflowList.parse(await json('GET', '/api/workshop/workflows'));
    },
    workshopWorkflow: (name) =>
      orUndefinedOn404(json('GET', `/api/workshop/workflows/${encodeURIComponent(name)}`)),
    async view(params) {
      const query = new URLSearchParams(params);
      // A file download is streamed, so it is not wrapped in p-retry; the output fetcher retries it.
      try {
        const response = await pool.request({
          method: 'GET',
          path: `${pathBase}/api/view?${query}`,
          headers: { authorization: `Bearer ${options.token}` },
        });
        return { status: response.statusCode, headers: response.headers, body: response.body };
      } catch (error) {
        throw new RelayUnavailableError(error);
      }
    },
    async galleryOptOut(optOut) {
      const body =
        optOut === undefined
          ? await json('GET', '/api/gallery/opt-out')
          : await json('PUT', '/api/gallery/opt-out', { optOut });
      return GalleryOptOut.parse(body).optOut;
    },
    async health() {
      try {
        const response = await pool.request({
          method: 'GET',
          path: `${pathBase}/api/health`,
          headers: { accept: 'application/json' },
        });
        const parsed = Health.safeParse(safeJson(await bodyText(response.body)));
        return parsed.success ? parsed.data : undefined;
      } catch {
        return undefined;
      }
    },
    close: () => pool.close(),
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The relay's 503 `redis_unavailable` (after the retries): the relay is reachable, its job store is not. */
function storeDown(error: RelayUnavailableError): RelayStoreDownError | undefined {
  const cause = error.cause;
  if (!(cause instanceof RelayHttpError) || cause.status !== 503) return undefined;
  const parsed = ErrorBody.safeParse(cause.body);
  return parsed.success && parsed.data.error.code === 'redis_unavailable'
    ? new RelayStoreDownError(error)
    : undefined;
}

function refused(error: RelayHttpError): RelayRefusedError {
  const parsed = ErrorBody.safeParse(error.body);
  if (parsed.success) {
    return new RelayRefusedError(parsed.data.error.code, parsed.data.error.message, error.status, {
      details: parsed.data.error.details,
    });
  }
  const code =
    error.status === 404 ? 'not_found' : error.status === 401 ? 'unauthorized' : 'internal';
  return new RelayRefusedError(
    code,
    `The GPU queue service refused the request (HTTP ${error.status}).`,
    error.status,
  );
}
