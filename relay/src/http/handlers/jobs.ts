/**
 * @fileoverview Job routes: submit (idempotent), list, read, cancel, operator priority. A user
 * token only ever sees its own jobs: another user's job id answers 404, as if it did not exist —
 * also when submitted again as a new job's id.
 */
import type { z } from 'zod';
import {
  CancelJobQuery,
  ListJobsQuery,
  PriorityRequest,
  SubmitJobRequest,
  zodProblems,
} from '../../../../protocol/src/index';
import { tagPrompt, TaggingError } from '../../backends/tagging';
import { RelayError } from '../../errors';
import { safeSubfolder } from '../../outputs/output-store';
import type { StoredJob } from '../../store/job-record';
import type { Handler, HandlerContext, Services } from '../types';
import { cachedRerun, failedRun, type FinishedFacts } from './finished-jobs';

export function parse<T extends z.ZodTypeAny>(
  schema: T,
  value: unknown,
  what: string,
): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = zodProblems(result.error, { whole: what }).join('; ');
  throw new RelayError('bad_request', `invalid ${what}: ${problems}`, {
    details: result.error.issues,
  });
}

/** The caller's job, or 404 (also for someone else's job: existence is not leaked). */
async function ownJob(ctx: HandlerContext, services: Services): Promise<StoredJob> {
  const id = ctx.params.id ?? '';
  const job = await services.store.get(id);
  if (!job || (ctx.principal.kind === 'user' && job.userId !== ctx.principal.userId))
    throw new RelayError('not_found', `job ${id} was not found`);
  return job;
}

/**
 * Runs an idempotent create; a job id held by another user answers 404 like every other route
 * (the store's 409 "already used" would confirm that someone has a job with that id).
 */
async function createOwn<T>(
  services: Services,
  userId: string,
  jobId: string,
  create: () => Promise<T>,
): Promise<T> {
  try {
    return await create();
  } catch (error) {
    if (error instanceof RelayError && error.code === 'conflict') {
      const holder = await services.store.get(jobId);
      if (holder && holder.userId !== userId)
        throw new RelayError(
          'not_found',
          `job ${jobId} was not found among your jobs; a new prompt needs a new job id`,
        );
    }
    throw error;
  }
}

function validatePrompt(
  prompt: Record<string, unknown>,
  jobId: string,
  maxNodes: number,
  checkPrefixes: boolean,
): void {
  const ids = Object.keys(prompt);
  if (ids.length === 0) throw new RelayError('bad_request', 'the prompt has no nodes');
  if (ids.length > maxNodes)
    throw new RelayError(
      'too_many_nodes',
      `the prompt has ${ids.length} nodes; this relay accepts at most ${maxNodes} (RELAY_MAX_NODES)`,
    );
  for (const [id, node] of Object.entries(prompt)) {
    const n = node as { class_type?: unknown; inputs?: unknown } | null;
    if (
      !n ||
      typeof n !== 'object' ||
      typeof n.class_type !== 'string' ||
      (n.inputs !== undefined && (typeof n.inputs !== 'object' || n.inputs === null))
    )
      throw new RelayError(
        'bad_request',
        `node ${id} must be an object with a string class_type and an inputs object (ComfyUI API format)`,
      );
  }
  if (!checkPrefixes) return; // a job created failed never reaches a GPU
  try {
    tagPrompt(prompt, jobId); // refuses prefixes that would escape, before anything is queued
  } catch (error) {
    if (error instanceof TaggingError)
      throw new RelayError('path_escape', error.message, {
        details: { node_id: error.nodeId, class_type: error.classType },
      });
    throw error;
  }
}

export const submitJob: Handler = async (ctx, services) => {
  if (ctx.principal.kind !== 'user')
    throw new RelayError(
      'forbidden',
      'jobs are submitted with a user token (comfyume token <user>), not the admin token',
    );
  const userId = ctx.principal.userId;
  if (ctx.body === undefined || ctx.body === null || typeof ctx.body !== 'object')
    throw new RelayError(
      'bad_request',
      'send the job as a JSON object with Content-Type: application/json',
    );
  const req = parse(SubmitJobRequest, ctx.body, 'job');
  validatePrompt(req.prompt, req.jobId, services.config.maxNodes, !req.failure);
  for (const input of req.inputs) {
    safeSubfolder(input.path);
    if (!(await services.inputs.has(userId, input.sha256)))
      throw new RelayError(
        'bad_request',
        `input ${input.path} (sha256 ${input.sha256}) was not uploaded; PUT its bytes to /api/inputs/${input.sha256} first`,
      );
  }
  const newJob = {
    id: req.jobId,
    promptId: req.promptId,
    userId,
    clientId: req.clientId,
    prompt: req.prompt,
    extraData: req.extraData,
    outputsToExecute: req.outputsToExecute ?? [],
    number: req.number,
    inputs: req.inputs,
  };
  const finished: FinishedFacts | undefined = req.failure
    ? failedRun(req.failure)
    : req.cachedFrom
      ? await cachedRerun(services, userId, { ...newJob, cachedFrom: req.cachedFrom })
      : undefined;
  if (finished) return submitFinished(services, newJob, finished);
  const { job, created } = await createOwn(services, userId, newJob.id, () =>
    services.store.create(newJob),
  );
  if (created) {
    services.observe?.jobSubmitted(userId);
    const announced = await services.scheduler.announcePositions().catch(() => new Set<string>());
    const fresh = (await services.store.get(job.id)) ?? job;
    if (!announced.has(job.id)) await services.publisher.job(fresh).catch(() => undefined);
    services.scheduler.kick();
    services.bus.control({ type: 'queue' });
    return { status: 201, body: { job: services.queue.view(fresh) } };
  }
  return { status: 200, body: { job: services.queue.view(job) } };
};

/** A job created finished (cache answer or ComfyUI-shaped failure): announced, never scheduled. */
async function submitFinished(
  services: Services,
  newJob: Parameters<Services['store']['createFinished']>[0],
  finished: FinishedFacts,
) {
  const { job, created } = await createOwn(services, newJob.userId, newJob.id, () =>
    services.store.createFinished(newJob, finished.state, finished.facts),
  );
  if (created) {
    services.observe?.jobSubmitted(job.userId);
    services.observe?.jobFinished(finished.state, 0, 0);
    await services.publisher.job(job).catch(() => undefined);
  }
  return { status: created ? 201 : 200, body: { job: services.queue.view(job) } };
}

export const listJobs: Handler = async (ctx, services) => {
  const q = parse(ListJobsQuery, ctx.query, 'query');
  const userId = ctx.principal.kind === 'user' ? ctx.principal.userId : q.user;
  const { jobs, total } = await services.store.list({
    userId,
    states: q.state,
    limit: q.limit,
    offset: q.offset,
  });
  return {
    status: 200,
    body: { jobs: jobs.map((job) => services.queue.view(job, q.full === true)), total },
  };
};

export const getJob: Handler = async (ctx, services) => {
  const job = await ownJob(ctx, services);
  return { status: 200, body: { job: services.queue.view(job, true) } };
};

export const cancelJob: Handler = async (ctx, services) => {
  const { onlyIf } = parse(CancelJobQuery, ctx.query, 'query');
  const job = await ownJob(ctx, services);
  const { outcome, before } = await services.store.cancelIf(job.id, onlyIf);
  if (outcome === 'cancelled') {
    services.observe?.jobStateChanged('queued', 'cancelled');
    services.observe?.jobFinished('cancelled', Date.now() - job.createdAt, 0);
    await services.publisher.job(job.id).catch(() => undefined);
    await services.scheduler.announcePositions().catch(() => undefined);
  } else if (outcome === 'requested') {
    services.scheduler.cancelRequested(job.id);
    services.bus.control({ type: 'cancel', jobId: job.id });
  }
  const now = (await services.store.get(job.id)) ?? job;
  const cancelled = outcome === 'cancelled' || outcome === 'requested';
  return { status: 200, body: { job: services.queue.view(now), before, cancelled } };
};

export const setPriority: Handler = async (ctx, services) => {
  if (ctx.principal.kind !== 'admin')
    throw new RelayError('forbidden', "only the operator (ADMIN_TOKEN) can change a job's lane");
  const { lane } = parse(PriorityRequest, ctx.body ?? {}, 'body');
  const job = await ownJob(ctx, services);
  await services.store.setLane(job.id, lane);
  const announced = await services.scheduler.announcePositions().catch(() => new Set<string>());
  const now = (await services.store.get(job.id)) ?? job;
  if (!announced.has(job.id)) await services.publisher.job(now).catch(() => undefined);
  services.scheduler.kick();
  return { status: 200, body: { job: services.queue.view(now) } };
};
