/**
 * "GPU warming up" reaches the job at once when the endpoint is cold: on its first refusal, and on
 * a submit a load balancer holds (no answer yet) while a replica boots.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { RunContext, RunnableJob } from '../backend';
import { ComfyUnavailable } from '../../../../kit/comfy/errors';
import type { Reply } from '../../../../kit/comfy/http';
import type { EndpointClient } from './endpoint';
import { submitOnce } from './submission';
import { until } from '../../../../kit/until';

const job: RunnableJob = {
  id: 'job-1',
  userId: 'user001',
  prompt: {},
  extraData: {},
  outputsToExecute: [],
  inputs: [],
};
const logger = pino({ level: 'silent' });

function fakes(answer: () => Promise<Reply>, options: { retryOnce?: boolean } = {}) {
  const phases: string[] = [];
  const ctx = {
    signal: new AbortController().signal,
    logger,
    phase: async (state: string) => void phases.push(state),
    markSubmitAttempted: async () => undefined,
    markSubmitted: async () => undefined,
  } as unknown as RunContext;
  const endpoint = {
    request: answer,
    // One refusal first when asked, then the real answer: what withColdStart's retry loop does.
    withColdStart: async (
      _what: string,
      fn: () => Promise<Reply>,
      cold: { onRetry?: (e: ComfyUnavailable, n: number) => Promise<void> },
    ) => {
      if (options.retryOnce)
        await cold.onRetry?.(new ComfyUnavailable('POST /prompt: HTTP 503', true, false, 503), 1);
      return fn();
    },
    state: () => 'ready',
    scrub: (t: string) => t,
  } as unknown as EndpointClient;
  const run = (slowSubmitMs?: number) =>
    submitOnce({
      job,
      ctx,
      taggedPrompt: {},
      extraData: {},
      backendRef: job.id,
      endpoint,
      config: {
        coldStartBudgetMs: 60_000,
        resumeProbeMs: 0,
        historyPollMs: 100,
        clientId: 'relay',
        slowSubmitMs,
      },
      logger,
      sighted: async () => false,
      cancelled: () => false,
    });
  return { phases, run };
}

const accepted: Reply = { status: 200, body: { prompt_id: 'job-1', node_errors: {} }, text: '' };

describe('submitOnce: warming up', () => {
  it('shows warming_up on the first refusal, before the GPU has accepted anything', async () => {
    const { phases, run } = fakes(async () => accepted, { retryOnce: true });
    expect((await run()).kind).toBe('submitted');
    expect(phases).toEqual(['submitting', 'warming_up']);
  });

  it('shows warming_up while a held submit has no answer yet, and not when the answer is prompt', async () => {
    let release: (reply: Reply) => void = () => undefined;
    const held = fakes(() => new Promise<Reply>((resolve) => (release = resolve)));
    const submitting = held.run(20);
    await until(() => held.phases.includes('warming_up'), 30_000, 'warming_up', 10); // the endpoint has still not answered
    release(accepted);
    expect((await submitting).kind).toBe('submitted');
    expect(held.phases).toEqual(['submitting', 'warming_up']);

    const prompt = fakes(async () => accepted);
    expect((await prompt.run(60_000)).kind).toBe('submitted');
    expect(prompt.phases).toEqual(['submitting']);
  });
});
