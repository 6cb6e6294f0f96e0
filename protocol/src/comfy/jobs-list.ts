/**
 * @fileoverview `GET /api/jobs` query parsing, filtering, sorting and paging, and the batch
 * cancel body check, with ComfyUI 0.27's exact 400 texts (server.py `get_jobs`, jobs.py).
 */
import type { ComfyJob, ComfyJobStatus, ComfyJobsListResponseLoose } from './http-jobs';
import { pyStr } from './py-format';
import { isDict } from './py-values';

export const jobStatuses: readonly ComfyJobStatus[] = [
  'pending',
  'in_progress',
  'completed',
  'failed',
  'cancelled',
];

export interface JobsQuery {
  /** `null` = all statuses; `[]` (e.g. `?status=,`) matches nothing, as in ComfyUI. */
  status: ComfyJobStatus[] | null;
  workflowId: string | null;
  sortBy: 'created_at' | 'execution_duration';
  sortOrder: 'asc' | 'desc';
  limit: number | null;
  offset: number;
}

export type QueryParams = URLSearchParams | string | Record<string, string>;

/** Python `int(text)` for a query value; null when it would raise ValueError. */
export function pyIntText(text: string): number | null {
  const s = text.trim();
  return /^[+-]?\d+(?:_\d+)*$/.test(s) ? Number(s.replace(/_/g, '')) : null;
}

/** Parses `/api/jobs` query params with ComfyUI's exact 400 texts. */
export function parseJobsQuery(
  params: QueryParams,
): { ok: true; query: JobsQuery } | { ok: false; body: { error: string } } {
  const q = params instanceof URLSearchParams ? params : new URLSearchParams(params);
  const fail = (error: string) => ({ ok: false as const, body: { error } });
  const statusParam = q.get('status');
  let status: ComfyJobStatus[] | null = null;
  if (statusParam) {
    const wanted = statusParam
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter((s) => s !== '');
    const invalid = wanted.filter((s) => !(jobStatuses as readonly string[]).includes(s));
    if (invalid.length > 0) {
      return fail(
        `Invalid status value(s): ${invalid.join(', ')}. Valid values: ${jobStatuses.join(', ')}`,
      );
    }
    status = wanted as ComfyJobStatus[];
  }
  const sortBy = (q.get('sort_by') ?? 'created_at').toLowerCase();
  if (sortBy !== 'created_at' && sortBy !== 'execution_duration') {
    return fail("sort_by must be 'created_at' or 'execution_duration'");
  }
  const sortOrder = (q.get('sort_order') ?? 'desc').toLowerCase();
  if (sortOrder !== 'asc' && sortOrder !== 'desc')
    return fail("sort_order must be 'asc' or 'desc'");
  let limit: number | null = null;
  if (q.has('limit')) {
    limit = pyIntText(q.get('limit') ?? '');
    if (limit === null) return fail('limit must be an integer');
    if (limit <= 0) return fail('limit must be a positive integer');
  }
  let offset = 0;
  if (q.has('offset')) {
    const o = pyIntText(q.get('offset') ?? '');
    if (o === null) return fail('offset must be an integer');
    offset = Math.max(0, o);
  }
  return {
    ok: true,
    query: { status, workflowId: q.get('workflow_id') || null, sortBy, sortOrder, limit, offset },
  };
}

const num = (v: unknown) => (typeof v === 'number' ? v : 0);

/** `apply_sorting`: stable, missing keys sort as 0 (Python `sorted(..., reverse=...)`). */
function sortKey(job: ComfyJob, sortBy: JobsQuery['sortBy']): number {
  if (sortBy === 'execution_duration') {
    const start = num(job.execution_start_time);
    const end = num(job.execution_end_time);
    return end && start ? end - start : 0;
  }
  return num(job.create_time);
}

/** `get_all_jobs` filtering, sorting and paging plus the handler's pagination block. */
export function listJobs(
  jobs: ComfyJob[],
  query: Partial<JobsQuery> = {},
): ComfyJobsListResponseLoose {
  const {
    status = null,
    workflowId = null,
    sortBy = 'created_at',
    sortOrder = 'desc',
    limit = null,
  } = query;
  const offset = Math.max(0, query.offset ?? 0);
  let selected = status === null ? jobs : jobs.filter((j) => status.includes(j.status));
  if (workflowId) selected = selected.filter((j) => j.workflow_id === workflowId);
  const sign = sortOrder === 'desc' ? -1 : 1;
  selected = [...selected].sort((a, b) => sign * (sortKey(a, sortBy) - sortKey(b, sortBy)));
  const total = selected.length;
  let page = offset > 0 ? selected.slice(offset) : selected;
  if (limit !== null) page = page.slice(0, limit);
  return {
    jobs: page,
    pagination: { offset, limit, total, has_more: offset + page.length < total },
  };
}

const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** POST /api/jobs/cancel body check with ComfyUI's 400 bodies (non-string ids shown as repr). */
export function parseCancelJobsRequest(
  body: unknown,
): { ok: true; jobIds: string[] } | { ok: false; body: { error: string; invalid_ids?: string[] } } {
  const ids = isDict(body) ? body['job_ids'] : undefined;
  if (!Array.isArray(ids)) return { ok: false, body: { error: 'job_ids must be a list' } };
  const invalid = ids
    .filter((id) => typeof id !== 'string' || !CANONICAL_UUID.test(id))
    .map((id) => pyStr(id));
  if (invalid.length > 0)
    return { ok: false, body: { error: 'job_ids contains invalid id(s)', invalid_ids: invalid } };
  return { ok: true, jobIds: ids as string[] };
}
