/**
 * @fileoverview The serverless ComfyUI endpoint as this backend uses it: kit/comfy's client with
 * the API key as Bearer auth (scrubbed from every text), a request timeout, 429/502/503/504 as
 * "not ready", and kit/comfy/cold-start.ts's retry within a budget; what is serverless's own here
 * is the endpoint's health as a state (warming up, down, degraded, ready) and the words of the
 * error a spent budget ends with.
 */
import type { Logger } from 'pino';
import type { BackendState } from '../../../../protocol/src/index';
import { ComfyClient } from '../../../../kit/comfy/client';
import { retryColdStart } from '../../../../kit/comfy/cold-start';
import { ComfyUnavailable } from '../../../../kit/comfy/errors';
import type { ComfyHttp } from '../../../../kit/comfy/http';

export type EndpointOptions = {
  endpoint: string;
  apiKey?: string;
  fetch: typeof fetch;
  requestTimeoutMs: number;
  logger: Logger;
};

export type ColdStartOptions = {
  budgetMs: number;
  signal?: AbortSignal;
  /** Called on each retryable failure (first one: the GPU is warming up). */
  onRetry?: (error: ComfyUnavailable, attempt: number) => void | Promise<void>;
};

export type EndpointClient = {
  /** The endpoint's routes (uploads), over the same transport as `request`. */
  client: ComfyClient;
  /** One request. HTTP 502/503/504/429 and transport failures throw a retryable ComfyUnavailable. */
  request: ComfyHttp['request'];
  /** Run `fn` again on retryable failures until it succeeds or `budgetMs` has passed. */
  withColdStart<T>(what: string, fn: () => Promise<T>, options: ColdStartOptions): Promise<T>;
  state(): BackendState;
  /** Replace the API key with [redacted] in a text. */
  scrub(text: string): string;
};

/** What a load balancer answers while no replica is up (or too many requests are waiting). */
const NOT_READY = new Set([429, 502, 503, 504]);

export function createEndpointClient(options: EndpointOptions): EndpointClient {
  let lastOkAt = 0;
  let lastFailAt = 0;
  let warming = 0;
  let down = false;
  const client = new ComfyClient({
    baseUrl: options.endpoint,
    auth: options.apiKey ? { bearer: options.apiKey } : undefined,
    headers: { accept: 'application/json' },
    timeoutMs: options.requestTimeoutMs,
    fetch: options.fetch,
    unavailableStatus: (status) => NOT_READY.has(status),
    observe: (ok) => {
      if (!ok) lastFailAt = Date.now();
      else {
        lastOkAt = Date.now();
        down = false;
      }
    },
  });
  const http = client.http;

  const withColdStart: EndpointClient['withColdStart'] = async (
    what,
    fn,
    { budgetMs, signal, onRetry },
  ) => {
    const started = Date.now();
    let counted = false;
    try {
      return await retryColdStart(fn, {
        deadline: started + budgetMs,
        signal,
        onRetry: async (error, attempt) => {
          if (!counted) {
            counted = true;
            warming++;
          }
          options.logger.info(
            { what, attempt, reason: http.scrub(error.message) },
            'endpoint not ready; retrying',
          );
          // Told first (the tab shows "GPU warming up" from the first refusal), then the wait.
          await onRetry?.(error, attempt);
        },
        giveUp: (error, attempts) => {
          down = true;
          const seconds = Math.round((Date.now() - started) / 1000);
          return new ComfyUnavailable(
            `GPU endpoint unavailable: ${error.message} (still failing after ${attempts} attempts over ${seconds} s)`,
            false,
            error.maybeDelivered,
            error.status,
          );
        },
      });
    } finally {
      if (counted) warming--;
    }
  };

  return {
    client,
    request: (method, path, init) => http.request(method, path, init),
    withColdStart,
    scrub: (text) => http.scrub(text),
    state: () => {
      if (warming > 0) return 'warming_up';
      if (down) return 'down';
      return lastFailAt > lastOkAt ? 'degraded' : 'ready';
    },
  };
}
