/**
 * @fileoverview One warm-up prompt for the serverless endpoint: a tiny model-free graph (an 8×8
 * EmptyImage into PreviewImage, which writes only to the GPU's temp folder) posted straight to the
 * endpoint, never through the attendee queue. A replica that was scaled to zero answers 502/503
 * until it is up; the time from the first try to the accepted prompt is the cold start measured.
 */
import { ComfyUnavailable } from '../../../../kit/comfy/errors';
import type { EndpointClient } from './endpoint';

export type WarmUpResult = {
  acceptedAt: number;
  /** Set when the endpoint refused at first (a replica was starting): ms until it took the prompt. */
  coldStartMs?: number;
};

export type WarmUpOptions = { budgetMs: number; signal?: AbortSignal; clientId?: string };

let sent = 0;

/** The graph: a different colour each time, so the GPU's cache never answers it without running. */
export function warmUpPrompt(serial: number): Record<string, unknown> {
  return {
    '1': {
      class_type: 'EmptyImage',
      inputs: { width: 8, height: 8, batch_size: 1, color: serial % 0xffffff },
    },
    '2': { class_type: 'PreviewImage', inputs: { images: ['1', 0] } },
  };
}

export async function sendWarmUp(
  endpoint: EndpointClient,
  options: WarmUpOptions,
): Promise<WarmUpResult> {
  const startedAt = Date.now();
  let cold = false;
  const answer = await endpoint.withColdStart(
    'warm-up prompt',
    () =>
      endpoint.client.postPrompt(
        {
          prompt: warmUpPrompt(++sent),
          client_id: options.clientId ?? 'comfyume-prewarm',
          extra_data: {},
        },
        { signal: options.signal },
      ),
    { budgetMs: options.budgetMs, signal: options.signal, onRetry: () => void (cold = true) },
  );
  if (!answer.ok)
    throw new ComfyUnavailable(
      `the GPU endpoint answered HTTP ${answer.status} to the warm-up prompt: ${endpoint.scrub(answer.text.slice(0, 200))}`,
      false,
      false,
      answer.status,
    );
  const acceptedAt = Date.now();
  return cold ? { acceptedAt, coldStartMs: acceptedAt - startedAt } : { acceptedAt };
}
