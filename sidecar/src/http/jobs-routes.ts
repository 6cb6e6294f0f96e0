/**
 * @fileoverview The jobs API (`/api/jobs*`, frontend ≥ 1.38.4): list, detail and cancel, derived
 * from the same merged view as /queue and /history, as the attendee's ComfyUI version answers
 * (shapes/jobs-flavor.ts). The cancel routes arrived in ComfyUI 0.26: for an older local ComfyUI
 * they go to it untouched, so the caller gets that version's own 404/405.
 */
import type { IncomingMessage } from 'node:http';
import { listJobs, parseCancelJobsRequest } from '../../../protocol/src/comfy/jobs';
import type { ComfyFlavor } from '../../../protocol/src/comfy/validate';
import type { LocalComfy } from '../comfy/local-comfy';
import { jobDetailFor, jobsFor, parseJobsQueryFor } from '../shapes/jobs-flavor';
import { readJsonBody } from './body';
import type { JobControl } from './job-control';
import { json, type Reply } from '../../../kit/aiohttp-reply';
import type { ViewSource } from './view-source';

type Deps = {
  view: ViewSource;
  local: LocalComfy;
  control: JobControl;
  flavor: () => Promise<ComfyFlavor>;
  maxBodyBytes: number;
};

export function createJobsRoutes(deps: Deps) {
  return {
    async list(req: IncomingMessage): Promise<Reply> {
      const flavor = await deps.flavor();
      const parsed = parseJobsQueryFor(
        flavor,
        new URL(req.url ?? '/', 'http://sidecar').searchParams,
      );
      if (!parsed.ok) return json(parsed.body, 400);
      const view = await deps.view.load();
      return json(listJobs(jobsFor(flavor, view), parsed.query));
    },

    async detail(id: string): Promise<Reply> {
      const view = await deps.view.load();
      const job = jobDetailFor(await deps.flavor(), id, view);
      return job ? json(job) : json({ error: 'Job not found' }, 404);
    },

    /** Ours → the relay; otherwise the local ComfyUI answers (undefined = let the proxy forward it). */
    async cancelOne(id: string): Promise<Reply | undefined> {
      if ((await deps.flavor()) === '0.8') return undefined;
      const cancelled = await deps.control.cancel(id);
      return cancelled === undefined ? undefined : json({ cancelled });
    },

    async cancelMany(req: IncomingMessage): Promise<Reply | undefined> {
      if ((await deps.flavor()) === '0.8') return undefined;
      const read = await readJsonBody(req, deps.maxBodyBytes);
      if (!read.ok) return read.reply;
      const parsed = parseCancelJobsRequest(read.body);
      if (!parsed.ok) return json(parsed.body, 400);
      const { others, cancelled: now } = await deps.control.cancelMany(parsed.jobIds);
      let cancelled = now.length > 0;
      if (others.length) {
        const local = await deps.local.post('/api/jobs/cancel', { job_ids: others });
        const body = local?.json as { cancelled?: unknown } | undefined;
        cancelled ||= body?.cancelled === true;
      }
      return json({ cancelled });
    },
  };
}
