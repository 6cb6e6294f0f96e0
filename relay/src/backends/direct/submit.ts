/**
 * @fileoverview Submitting one job to a direct GPU: its inputs uploaded, then `POST /prompt` with
 * prompt_id = job id, both retried through a cold start (kit/comfy/cold-start.ts). The job is marked
 * submit-attempted before the POST and submitted after its 200; a POST that failed is looked for on
 * the GPU (history, queue) before it is sent again, so a prompt never runs twice.
 */
import type { ComfyClient } from '../../../../kit/comfy/client';
import { retryColdStart } from '../../../../kit/comfy/cold-start';
import { ComfyUnavailable } from '../../../../kit/comfy/errors';
import { RelayError } from '../../errors';
import type { RunContext, RunResult, RunnableJob } from '../backend';
import type { TaggedPrompt } from '../tagging';
import { validationFailure } from './run-results';

export type SubmitTarget = { client: ComfyClient; name: string; coldStartBudgetMs: number };

/** Whether a prompt whose POST failed reached the GPU anyway (its history or queue has it). */
async function landed(client: ComfyClient, jobId: string): Promise<boolean> {
  return (
    (await client
      .history(jobId)
      .then((h) => !!h)
      .catch(() => false)) || (await client.inQueue(jobId).catch(() => false))
  );
}

/** Submits the tagged prompt; answers a RunResult only when the GPU refused it (validation). */
export async function submitToGpu(
  gpu: SubmitTarget,
  job: RunnableJob,
  tagged: TaggedPrompt,
  ctx: RunContext,
  sid: string,
  ref: string,
): Promise<RunResult | undefined> {
  const { client } = gpu;
  const deadline = Date.now() + gpu.coldStartBudgetMs;
  let warming = false;
  // A failure after the deadline ends it; "warming up" is shown from the first failure, before its wait.
  const untilWarm = {
    deadline,
    signal: ctx.signal,
    atDeadline: 'try-again' as const,
    onRetry: async () => {
      if (!warming) await ctx.phase('warming_up');
      warming = true;
    },
  };
  await retryColdStart(async () => {
    for (const input of job.inputs) {
      const reply = await client.upload(input.file, input.path);
      if (reply.status !== 200)
        throw new ComfyUnavailable(
          `uploading input ${input.path} failed with HTTP ${reply.status}: ${JSON.stringify(reply.body)}`,
          true,
          false,
          reply.status,
        );
    }
  }, untilWarm);
  const body: Record<string, unknown> = {
    prompt: tagged.prompt,
    client_id: sid,
    prompt_id: job.id,
    extra_data: { ...job.extraData },
  };
  if (job.outputsToExecute.length) body.partial_execution_targets = job.outputsToExecute;
  await ctx.markSubmitAttempted(ref);
  ctx.signal.throwIfAborted(); // later attempts: the cold-start pause checks it after each wait
  const answer = await retryColdStart(
    async () => {
      try {
        return await client.postPrompt(body);
      } catch (error) {
        // The POST may have landed before the failure: look before sending it again.
        if (error instanceof ComfyUnavailable && (await landed(client, job.id))) return undefined;
        throw error;
      }
    },
    {
      ...untilWarm,
      giveUp: (error) =>
        new RelayError(
          'backend_unavailable',
          `the GPU ${gpu.name} did not accept the job within COLD_START_BUDGET_S (${Math.round(gpu.coldStartBudgetMs / 1000)} s): ${error.message}`,
        ),
    },
  );
  if (answer && !answer.ok) return validationFailure(answer.body);
  await ctx.markSubmitted(ref);
  if (warming) await ctx.phase('submitting');
  return undefined;
}
