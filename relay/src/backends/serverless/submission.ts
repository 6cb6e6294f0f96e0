/**
 * @fileoverview Getting a job onto the serverless GPU exactly once: stage its inputs, persist the
 * attempt, POST the tagged prompt (cold starts retried within a budget, "warming up" shown), and
 * on a relay restart decide from evidence whether the earlier run already submitted it.
 */
import type { Logger } from 'pino';
import type { JobError } from '../../../../protocol/src/index';
import type { RunContext, RunnableJob } from '../backend';
import { ComfyUnavailable } from '../../../../kit/comfy/errors';
import type { Reply } from '../../../../kit/comfy/http';
import type { ColdStartOptions, EndpointClient } from './endpoint';
import { copyToInputDir, uploadInput } from './inputs';
import { gpuRefusal } from '../gpu-refusal';
import { jobLevelError } from './messages';

export type SubmitConfig = {
  sfsInputDir?: string;
  coldStartBudgetMs: number;
  resumeProbeMs: number;
  historyPollMs: number;
  clientId: string;
  /**
   * A submit still unanswered after this long shows "GPU warming up": some load balancers hold the
   * request while a replica boots instead of answering 503, and a warm ComfyUI answers POST /prompt
   * at once (it queues; it does not run). Default 3 s.
   */
  slowSubmitMs?: number;
};

export type SubmitDeps = {
  job: RunnableJob;
  ctx: RunContext;
  taggedPrompt: Record<string, unknown>;
  /** `extra_data` to submit: the job's, plus the agent's marker `{comfyume: {job, attempt}}`. */
  extraData: Record<string, unknown>;
  /** What the job record keeps as its backendRef (the job id, with the attempt after a resubmit). */
  backendRef: string;
  endpoint: EndpointClient;
  config: SubmitConfig;
  logger: Logger;
  /** Watch for any sign of the job on the GPU (history, queue, files) for up to `ms`. */
  sighted(ms: number): Promise<boolean>;
  cancelled(): boolean;
};

export type Submitted =
  | {
      kind: 'submitted';
      promptId: string;
      acceptedAt: number;
      resumed: boolean;
      rejectedNodes: string[];
    }
  | { kind: 'cancelled' }
  | { kind: 'failed'; error: JobError };

const unavailable = (error: unknown): JobError => {
  const message = error instanceof Error ? error.message : String(error);
  return jobLevelError(
    'EndpointUnavailable',
    message.startsWith('GPU endpoint unavailable')
      ? message
      : `GPU endpoint unavailable: ${message}`,
  );
};

/** Why the endpoint refused the prompt, as one actionable JobError. */
function refusal(reply: Reply): JobError {
  if (reply.status === 401 || reply.status === 403) {
    return jobLevelError(
      'EndpointUnauthorized',
      `the GPU endpoint refused our credentials (HTTP ${reply.status}); check SERVERLESS_API_KEY`,
    );
  }
  if (reply.status === 400) return gpuRefusal(reply.body, reply.text);
  return jobLevelError(
    'EndpointError',
    `the GPU endpoint answered HTTP ${reply.status} to POST /prompt: ${reply.text.slice(0, 200)}`,
  );
}

/**
 * Submit unless an earlier run did. The rule on resume (the relay died mid-job):
 * - `submittedAt` set: the GPU answered 200, it has the job. Never POST again; just watch.
 * - only `submitAttemptedAt`: the relay died between persisting "about to POST" and persisting the
 *   200. The POST may or may not have reached a replica. For `resumeProbeMs` we look for it:
 *   `/history/{id}` and `/queue` (each poll reaches one replica at random, so n polls miss a
 *   replica holding it with probability (1-1/k)^n) and files in its SFS folder. Any sighting
 *   means the GPU has it: mark it submitted and watch. No sighting: it never arrived; submit.
 */
export async function submitOnce(deps: SubmitDeps): Promise<Submitted> {
  const { job, ctx, endpoint, config, logger } = deps;
  const resume = job.resume;
  if (resume?.submittedAt) {
    logger.info(
      'resumed: the GPU accepted this job before a relay restart; watching, not resubmitting',
    );
    return {
      kind: 'submitted',
      promptId: job.id,
      acceptedAt: resume.submittedAt,
      resumed: true,
      rejectedNodes: [],
    };
  }
  if (resume?.submitAttemptedAt) {
    if (await deps.sighted(config.resumeProbeMs)) {
      logger.info('resumed: the earlier submit reached the GPU; watching, not resubmitting');
      await ctx.markSubmitted(deps.backendRef);
      return {
        kind: 'submitted',
        promptId: job.id,
        acceptedAt: resume.submitAttemptedAt,
        resumed: true,
        rejectedNodes: [],
      };
    }
    logger.info(
      { probeMs: config.resumeProbeMs },
      'resumed: no sign of the job on the GPU; submitting it now',
    );
  }

  await ctx.phase('submitting');
  let warming = false;
  const markWarming = async () => {
    if (warming) return;
    warming = true;
    await ctx.phase('warming_up');
  };
  const coldStart: ColdStartOptions = {
    budgetMs: config.coldStartBudgetMs,
    signal: ctx.signal,
    onRetry: markWarming, // the first refusal: shown at once
  };

  for (const input of job.inputs) {
    try {
      if (config.sfsInputDir) await copyToInputDir(input, config.sfsInputDir);
      else
        await endpoint.withColdStart(
          'upload input',
          () => uploadInput(input, endpoint, ctx.signal),
          coldStart,
        );
    } catch (error) {
      if (ctx.signal.aborted && !deps.cancelled()) throw error;
      if (error instanceof ComfyUnavailable) return { kind: 'failed', error: unavailable(error) };
      const message = error instanceof Error ? endpoint.scrub(error.message) : String(error);
      return {
        kind: 'failed',
        error: jobLevelError(
          'InputStaging',
          `could not stage input "${input.path}" for the GPU: ${message}`,
        ),
      };
    }
    if (deps.cancelled()) return { kind: 'cancelled' };
  }
  if (deps.cancelled()) return { kind: 'cancelled' };

  const body = {
    prompt: deps.taggedPrompt,
    prompt_id: job.id, // history is keyed by our id, so any replica's history can be asked for it
    client_id: config.clientId,
    extra_data: deps.extraData,
    ...(job.outputsToExecute.length ? { partial_execution_targets: job.outputsToExecute } : {}),
  };
  await ctx.markSubmitAttempted(deps.backendRef);
  let reply: Reply;
  const slow = setTimeout(() => {
    markWarming().catch((error: unknown) =>
      logger.warn({ err: (error as Error).message }, 'could not record warming_up'),
    );
  }, config.slowSubmitMs ?? 3_000);
  try {
    reply = await endpoint.withColdStart(
      'submit',
      async () => {
        try {
          return await endpoint.request('POST', '/prompt', { json: body, signal: ctx.signal });
        } catch (error) {
          // The answer was lost but the prompt may be queued: look before posting it again.
          if (
            error instanceof ComfyUnavailable &&
            error.maybeDelivered &&
            (await deps.sighted(5 * config.historyPollMs))
          ) {
            return { status: 200, body: { prompt_id: job.id, node_errors: {} }, text: '' };
          }
          throw error;
        }
      },
      coldStart,
    );
  } catch (error) {
    if (deps.cancelled()) return { kind: 'cancelled' };
    if (error instanceof ComfyUnavailable) return { kind: 'failed', error: unavailable(error) };
    throw error;
  } finally {
    clearTimeout(slow);
  }
  if (reply.status !== 200) return { kind: 'failed', error: refusal(reply) };
  const answer = (reply.body ?? {}) as {
    prompt_id?: unknown;
    node_errors?: Record<string, unknown>;
  };
  const promptId =
    typeof answer.prompt_id === 'string' && answer.prompt_id ? answer.prompt_id : job.id;
  await ctx.markSubmitted(deps.backendRef);
  const rejectedNodes = Object.keys(answer.node_errors ?? {});
  if (rejectedNodes.length)
    logger.warn(
      { rejectedNodes },
      'the GPU queued the prompt without some outputs that failed validation',
    );
  return { kind: 'submitted', promptId, acceptedAt: Date.now(), resumed: false, rejectedNodes };
}
