/**
 * @fileoverview Cancel and re-run, the way the stock queue panel does them (§3.3): a running job
 * is interrupted with `POST /interrupt {prompt_id}`, a queued one removed with
 * `POST /queue {delete:[id]}`; re-run posts the job's own prompt again, read from `/api/jobs/{id}`
 * (or `/history/{id}` on servers without the jobs API).
 */
import { promptFromDetail } from '../state/poll-adapters';
import type { TrackedJob } from '../state/jobs-state';

export type ApiLike = {
  fetchApi(route: string, init?: RequestInit): Promise<Response>;
  clientId?: string;
};

const post = (api: ApiLike, route: string, body: unknown) =>
  api.fetchApi(route, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });

export async function cancelJob(
  api: ApiLike,
  job: Pick<TrackedJob, 'id' | 'state'>,
): Promise<void> {
  const res =
    job.state === 'queued'
      ? await post(api, '/queue', { delete: [job.id] })
      : await post(api, '/interrupt', { prompt_id: job.id });
  if (!res.ok) throw new Error(`Could not cancel: HTTP ${res.status}`);
}

/** Queues the job's prompt again; returns the new prompt id. */
export async function requeueJob(api: ApiLike, id: string): Promise<string> {
  let detail = await api.fetchApi(`/jobs/${encodeURIComponent(id)}`);
  if (detail.status === 404) detail = await api.fetchApi(`/history/${encodeURIComponent(id)}`);
  if (!detail.ok) throw new Error(`Could not read job ${id}: HTTP ${detail.status}`);
  const queued = promptFromDetail(await detail.json(), id);
  if (!queued) throw new Error('The server no longer has this job’s workflow');
  // Keep the workflow (extra_pnginfo) so the output PNG embeds it; drop per-run fields.
  const { client_id: _c, create_time: _t, ...extraData } = queued.extraData;
  const res = await post(api, '/prompt', {
    client_id: api.clientId ?? '',
    prompt: queued.prompt,
    extra_data: extraData,
  });
  const body = (await res.json().catch(() => ({}))) as {
    prompt_id?: string;
    error?: { message?: string };
  };
  if (!res.ok || !body.prompt_id)
    throw new Error(body.error?.message ?? `Could not queue: HTTP ${res.status}`);
  return body.prompt_id;
}
