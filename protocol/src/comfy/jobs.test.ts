/**
 * @fileoverview jobs.ts rebuilds every recorded /api/jobs answer of ComfyUI 0.27 from the
 * recorded /queue and /history of the same moment, and must match it key for key.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiDir, type Exchange, readJson } from '../../../test/support/comfy-fixtures';
import type { ComfyAnyQueueItem, ComfyHistoryMap, ComfyQueueResponse } from './http';
import { ComfyJobDetail, ComfyJobsListResponse, ComfyJobsListResponseLoose } from './http-jobs';
import {
  historyMax,
  jobDetail,
  jobFromHistory,
  jobsFromSources,
  listJobs,
  outputsSummary,
  parseCancelJobsRequest,
  parseHistoryQuery,
  parseJobsQuery,
  publicQueue,
  type JobSources,
} from './jobs';

const API = apiDir('0.27.0');
const json = <T>(rel: string) => readJson<Exchange>(path.join(API, rel)).response.json as T;
const finalHistory = json<ComfyHistoryMap>('get/history_after.json');
const historyIds = Object.keys(finalHistory);
const runs = readdirSync(API).filter((d) => d.startsWith('run'));

/** The queue snapshot taken together with a jobs list capture. */
function queueFileFor(dir: string, file: string): string {
  if (dir === 'jobs') return 'get/queue_final.json';
  const base = file.replace(/_jobs_(queue|history)\.json$/, '_queue.json');
  return base !== file && existsSync(path.join(API, dir, base))
    ? `${dir}/${base}`
    : `${dir}/queue_while_running.json`;
}

/** ComfyUI's queue and history at the moment `dir/file` was captured. */
function sourcesFor(dir: string, file: string): JobSources {
  const queue = json<ComfyQueueResponse>(queueFileFor(dir, file));
  const queued = new Set([...queue.queue_running, ...queue.queue_pending].map((i) => i[1]));
  let upTo = historyIds.length;
  if (dir.startsWith('run'))
    upTo =
      historyIds.indexOf(
        readJson<{ prompt_id: string }>(path.join(API, dir, 'summary.json')).prompt_id,
      ) + 1;
  if (dir === 'jobs' && file.startsWith('before_')) upTo = 0;
  const history: ComfyHistoryMap = {};
  for (const id of historyIds.slice(0, upTo))
    if (!queued.has(id)) history[id] = finalHistory[id] as ComfyHistoryMap[string];
  return { running: queue.queue_running, pending: queue.queue_pending, history };
}

const listCaptures: [string, string][] = [];
for (const dir of ['jobs', ...runs]) {
  for (const file of readdirSync(path.join(API, dir)).filter((f) => f.endsWith('.json'))) {
    const ex = readJson<Partial<Exchange>>(path.join(API, dir, file));
    if (!ex.request || !ex.response) continue; // summary.json
    if (
      ex.request.path?.startsWith('/api/jobs') &&
      ex.request.method === 'GET' &&
      ex.response.status === 200
    ) {
      if (isListBody(ex.response.json)) listCaptures.push([dir, file]);
    }
  }
}
function isListBody(body: unknown): boolean {
  return typeof body === 'object' && body !== null && 'pagination' in body;
}

describe('GET /api/jobs lists rebuilt from queue + history', () => {
  it('found the captures', () => expect(listCaptures.length).toBeGreaterThanOrEqual(25));

  it.each(listCaptures)('%s/%s', (dir, file) => {
    const ex = readJson<Exchange>(path.join(API, dir, file));
    const query = parseJobsQuery(new URL(ex.request.path ?? '', 'http://x').searchParams);
    expect(query.ok).toBe(true);
    if (!query.ok) return;
    const body = listJobs(jobsFromSources(sourcesFor(dir, file)), query.query);
    expect(body).toEqual(ex.response.json);
    expect(JSON.stringify(body)).toBe(JSON.stringify(ex.response.json));
    expect(ComfyJobsListResponseLoose.safeParse(body).success).toBe(true);
    // The frontend only accepts a numeric limit (it always sends one).
    expect(ComfyJobsListResponse.safeParse(body).success).toBe(body.pagination.limit !== null);
  });
});

/** The list capture taken at the same moment as a detail capture (same queue and history). */
const companionOf: Record<string, string> = {
  'job_detail_while_running.json': 'running_only_jobs_queue.json',
  'job_detail_pending.json': 'while_running_with_pending_jobs_queue.json',
};

describe('GET /api/jobs/{id} rebuilt', () => {
  const details: [string, string][] = runs.flatMap((dir) =>
    readdirSync(path.join(API, dir))
      .filter((f) => f.startsWith('job_detail'))
      .map((f): [string, string] => [dir, f]),
  );

  it.each(details)('%s/%s', (dir, file) => {
    const ex = readJson<Exchange>(path.join(API, dir, file));
    const id = (ex.request.path ?? '').split('/').pop() ?? '';
    const detail = jobDetail(id, sourcesFor(dir, companionOf[file] ?? 'after_jobs_queue.json'));
    if (ex.response.status === 404) {
      expect(detail).toBeNull();
      expect(ex.response.json).toEqual({ error: 'Job not found' });
      return;
    }
    expect(detail).toEqual(ex.response.json);
    expect(JSON.stringify(detail)).toBe(JSON.stringify(ex.response.json));
    expect(ComfyJobDetail.safeParse(detail).success).toBe(true);
  });
});

describe('jobs helpers', () => {
  it('parseJobsQuery gives ComfyUI 400 texts', () => {
    for (const file of ['bad_status.json', 'bad_limit.json']) {
      const ex = readJson<Exchange>(path.join(API, 'jobs', file));
      const q = parseJobsQuery(new URL(ex.request.path ?? '', 'http://x').searchParams);
      expect(q).toEqual({ ok: false, body: ex.response.json });
    }
    expect(parseJobsQuery('limit=x')).toEqual({
      ok: false,
      body: { error: 'limit must be an integer' },
    });
    expect(parseJobsQuery('sort_by=size')).toEqual({
      ok: false,
      body: { error: "sort_by must be 'created_at' or 'execution_duration'" },
    });
    expect(parseJobsQuery('offset=-5').ok && parseJobsQuery('offset=-5')).toMatchObject({
      query: { offset: 0 },
    });
  });

  it('historyMax reproduces GET /history?max_items=1', () => {
    const ex = readJson<Exchange>(path.join(API, 'jobs/history_max1.json'));
    const q = parseHistoryQuery(new URL(ex.request.path ?? '', 'http://x').searchParams);
    expect(q).toEqual({ maxItems: 1, offset: -1 });
    expect(historyMax(finalHistory, q?.maxItems, q?.offset)).toEqual(ex.response.json);
    expect(Object.keys(historyMax(finalHistory, 2, 1))).toEqual(historyIds.slice(1, 3));
    expect(Object.keys(historyMax(finalHistory))).toEqual(historyIds);
    expect(parseHistoryQuery('max_items=abc')).toBeNull();
  });

  it('publicQueue strips the sensitive 6th element', () => {
    const item: ComfyAnyQueueItem = [
      1,
      'id',
      {},
      { create_time: 5 },
      ['2'],
      { api_key_comfy_org: 'secret' },
    ];
    const q = publicQueue([item], []);
    expect(q.queue_running[0]).toHaveLength(5);
    expect(JSON.stringify(q)).not.toContain('secret');
  });

  it('outputsSummary counts text and 3D strings and previews them', () => {
    const text = outputsSummary({ '5': { text: ['x'.repeat(1100)] }, '6': { result: [7] } });
    expect(text.count).toBe(1);
    expect(text.preview).toMatchObject({ nodeId: '5', mediaType: 'text', truncated: true });
    expect((text.preview as unknown as { content: string }).content).toHaveLength(1024);
    // A bare 3D filename counts, and being type "output" it beats the earlier text fallback.
    const both = outputsSummary({ '5': { text: ['hi'] }, '6': { result: ['a.glb', 7] } });
    expect(both).toEqual({
      count: 2,
      preview: { filename: 'a.glb', type: 'output', subfolder: '', mediaType: '3d', nodeId: '6' },
    });
    const images = outputsSummary({
      '3': { images: [{ filename: 't.png', subfolder: '', type: 'temp' }], animated: [false] },
    });
    expect(images).toEqual({
      count: 1,
      preview: { filename: 't.png', subfolder: '', type: 'temp', nodeId: '3', mediaType: 'images' },
    });
  });

  it('jobFromHistory maps a history without status to completed and keeps workflow_id', () => {
    const entry = {
      prompt: [3, 'p', {}, { create_time: 10, extra_pnginfo: { workflow: { id: 'wf' } } }, []],
      outputs: {},
      status: null,
    } as unknown as ComfyHistoryMap[string];
    expect(jobFromHistory('p', entry)).toEqual({
      id: 'p',
      status: 'completed',
      priority: 3,
      create_time: 10,
      outputs_count: 0,
      workflow_id: 'wf',
    });
  });

  it('listJobs filters by workflow_id and sorts by duration', () => {
    const job = (id: string, start: number, end: number, wf: string) =>
      ({
        id,
        status: 'completed',
        create_time: start,
        execution_start_time: start,
        execution_end_time: end,
        workflow_id: wf,
      }) as const;
    const jobs = [job('a', 1, 10, 'w'), job('b', 2, 3, 'w'), job('c', 3, 100, 'v')];
    const r = listJobs(jobs, {
      workflowId: 'w',
      sortBy: 'execution_duration',
      sortOrder: 'asc',
      limit: 1,
    });
    expect(r).toEqual({
      jobs: [jobs[1]],
      pagination: { offset: 0, limit: 1, total: 2, has_more: true },
    });
  });

  it('parseCancelJobsRequest gives ComfyUI 400 bodies', () => {
    for (const file of ['cancel_batch_invalid_ids.json', 'cancel_batch_missing_list.json']) {
      const ex = readJson<Exchange>(path.join(API, 'jobs', file));
      expect(parseCancelJobsRequest(ex.request.body)).toEqual({
        ok: false,
        body: ex.response.json,
      });
    }
    const ex = readJson<Exchange>(path.join(API, 'jobs/cancel_batch_finished.json'));
    expect(parseCancelJobsRequest(ex.request.body).ok).toBe(true);
  });
});
