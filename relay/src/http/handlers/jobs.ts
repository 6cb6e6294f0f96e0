/**
 * @fileoverview Job routes: submit (idempotent), list, read, cancel, operator priority. Thin
 * adapters: parse the request, call the job service (relay/src/jobs/job-service.ts, which holds who
 * may do what), and reply with the job's public view.
 */
import type { z } from 'zod';
import {
  CancelJobQuery,
  ListJobsQuery,
  PriorityRequest,
  SubmitJobRequest,
  zodProblems,
} from '../../../../protocol/src/index';
import { RelayError } from '../../errors';
import { requireOperator, submittingUser, type JobService } from '../../jobs/job-service';
import type { QueueInfo } from '../../scheduler/queue-info';
import type { Handler } from '../types';

/** What the job routes need: the use cases, and the queue snapshot that gives a job its position and ETA. */
export type JobRoutesContext = {
  jobs: JobService;
  queue: Pick<QueueInfo, 'view'>;
};

type JobHandler = Handler<JobRoutesContext>;

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

const jobId = (params: Record<string, string>) => params.id ?? '';

export const submitJob: JobHandler = async (ctx, { jobs, queue }) => {
  const userId = submittingUser(ctx.principal);
  if (ctx.body === undefined || ctx.body === null || typeof ctx.body !== 'object')
    throw new RelayError(
      'bad_request',
      'send the job as a JSON object with Content-Type: application/json',
    );
  const { job, created } = await jobs.submit(userId, parse(SubmitJobRequest, ctx.body, 'job'));
  return { status: created ? 201 : 200, body: { job: queue.view(job) } };
};

export const listJobs: JobHandler = async (ctx, { jobs, queue }) => {
  const q = parse(ListJobsQuery, ctx.query, 'query');
  const withPrompts = q.prompts === true || q.full === true;
  const { jobs: found, total } = await jobs.list(ctx.principal, {
    user: q.user,
    states: q.state,
    limit: q.limit,
    offset: q.offset,
    withPrompts,
  });
  return {
    status: 200,
    body: { jobs: found.map((job) => queue.view(job, withPrompts)), total },
  };
};

export const getJob: JobHandler = async (ctx, { jobs, queue }) => {
  const job = await jobs.find(ctx.principal, jobId(ctx.params));
  return { status: 200, body: { job: queue.view(job, true) } };
};

export const cancelJob: JobHandler = async (ctx, { jobs, queue }) => {
  const { onlyIf } = parse(CancelJobQuery, ctx.query, 'query');
  const { job, before, cancelled } = await jobs.cancel(ctx.principal, jobId(ctx.params), onlyIf);
  return { status: 200, body: { job: queue.view(job), before, cancelled } };
};

export const setPriority: JobHandler = async (ctx, { jobs, queue }) => {
  requireOperator(ctx.principal);
  const { lane } = parse(PriorityRequest, ctx.body ?? {}, 'body');
  const job = await jobs.reprioritise(ctx.principal, jobId(ctx.params), lane);
  return { status: 200, body: { job: queue.view(job) } };
};
