/**
 * @fileoverview The jobs API (`/api/jobs`, `/api/jobs/{id}`) as the attendee's ComfyUI version answers
 * it. 0.27 is protocol/comfy/jobs.ts as is. The 0.8 line (ComfyUI 0.6–0.8, comfy_execution/jobs.py
 * before the `cancelled` status) differs in four ways, applied here:
 *  - statuses are pending, in_progress, completed, failed: `?status=…,cancelled` (what frontend 1.45
 *    asks) is a 400 naming the four valid values;
 *  - an interrupted run is `failed` (the `execution_interrupted` message was not looked at);
 *  - previews are images, video and audio (plus video/audio formats and 3D files); text outputs are
 *    neither counted nor previewed, and `mediaType` is always the output key;
 *  - the detail's `outputs` are the history outputs as stored (no normalisation).
 * Pure.
 */
import type {
  ComfyJob,
  ComfyJobDetail,
  ComfyJobPreviewOutput,
} from '../../../protocol/src/comfy/http-jobs';
import type { ComfyHistoryEntry } from '../../../protocol/src/comfy/http';
import {
  jobDetail,
  jobsFromSources,
  parseJobsQuery,
  type JobSources,
  type JobsQuery,
  type QueryParams,
} from '../../../protocol/src/comfy/jobs';
import { isDict } from '../../../protocol/src/comfy/py-values';
import type { ComfyFlavor } from '../../../protocol/src/comfy/validate';

const STATUSES_0_8 = ['pending', 'in_progress', 'completed', 'failed'];
const PREVIEWABLE_0_8 = new Set(['images', 'video', 'audio']);
const THREE_D_0_8 = ['.obj', '.fbx', '.gltf', '.glb'];

type ParsedQuery = { ok: true; query: JobsQuery } | { ok: false; body: { error: string } };

/** `/api/jobs` query parsing with the version's status list and 400 texts. */
export function parseJobsQueryFor(flavor: ComfyFlavor, params: QueryParams): ParsedQuery {
  const q = params instanceof URLSearchParams ? params : new URLSearchParams(params);
  if (flavor === '0.8' && q.get('status')) {
    const wanted = (q.get('status') ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter((s) => s !== '');
    const invalid = wanted.filter((s) => !STATUSES_0_8.includes(s));
    if (invalid.length > 0) {
      return {
        ok: false,
        body: {
          error: `Invalid status value(s): ${invalid.join(', ')}. Valid values: ${STATUSES_0_8.join(', ')}`,
        },
      };
    }
  }
  return parseJobsQuery(q);
}

function isPreviewable08(mediaType: string, item: Record<string, unknown>): boolean {
  if (PREVIEWABLE_0_8.has(mediaType)) return true;
  const fmt = item.format;
  if (typeof fmt === 'string' && (fmt.startsWith('video/') || fmt.startsWith('audio/')))
    return true;
  const filename = typeof item.filename === 'string' ? item.filename.toLowerCase() : '';
  return THREE_D_0_8.some((ext) => filename.endsWith(ext));
}

/** 0.8's `get_outputs_summary`: dict items only; the first previewable output-type item, else any. */
export function outputsSummary08(outputs: unknown): {
  count: number;
  preview: ComfyJobPreviewOutput | undefined;
} {
  let count = 0;
  let preview: ComfyJobPreviewOutput | undefined;
  let fallback: ComfyJobPreviewOutput | undefined;
  for (const [nodeId, nodeOutputs] of Object.entries(isDict(outputs) ? outputs : {})) {
    if (!isDict(nodeOutputs)) continue;
    for (const [mediaType, items] of Object.entries(nodeOutputs)) {
      if (mediaType === 'animated' || !Array.isArray(items)) continue;
      for (const item of items) {
        if (!isDict(item)) continue;
        count += 1;
        if (preview !== undefined || !isPreviewable08(mediaType, item)) continue;
        const enriched = { ...item, nodeId, mediaType } as ComfyJobPreviewOutput;
        if (item.type === 'output') preview = enriched;
        else fallback ??= enriched;
      }
    }
  }
  return { count, preview: preview ?? fallback };
}

/** A 0.27-derived history job as 0.8 reports it. */
function as08<T extends ComfyJob>(job: T, entry: ComfyHistoryEntry | undefined): T {
  const out = { ...job, status: job.status === 'cancelled' ? 'failed' : job.status } as T;
  if (!entry) return out;
  const { count, preview } = outputsSummary08(entry.outputs);
  out.outputs_count = count;
  if (preview) out.preview_output = preview;
  else delete out.preview_output;
  return out;
}

/** Every job of the view (running, pending, history), as the version lists them. */
export function jobsFor(flavor: ComfyFlavor, sources: JobSources): ComfyJob[] {
  const jobs = jobsFromSources(sources);
  return flavor === '0.8' ? jobs.map((job) => as08(job, sources.history[job.id])) : jobs;
}

/** `GET /api/jobs/{id}` as the version answers it; null → 404 `{"error": "Job not found"}`. */
export function jobDetailFor(
  flavor: ComfyFlavor,
  id: string,
  sources: JobSources,
): ComfyJobDetail | null {
  const job = jobDetail(id, sources);
  if (!job || flavor !== '0.8') return job;
  const entry = Object.prototype.hasOwnProperty.call(sources.history, id)
    ? sources.history[id]
    : undefined;
  const detail = as08(job, entry);
  if (entry && 'outputs' in detail) detail.outputs = entry.outputs as ComfyJobDetail['outputs'];
  return detail;
}
