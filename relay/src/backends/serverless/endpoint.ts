/**
 * @fileoverview HTTP to the serverless ComfyUI endpoint: Bearer auth on every request, request
 * timeouts, cold-start retries within a budget (p-retry; the waits are cold-start-backoff.ts's
 * full jitter capped near 2 s), and the endpoint's health as a state.
 *
 * The API key is sent only in the Authorization header and is scrubbed from every error text we
 * build (a misbehaving gateway may echo headers back in its error body).
 */
import pRetry, { AbortError } from 'p-retry';
import type { Logger } from 'pino';
import type { BackendState } from '../../../../protocol/src/index';
import { coldStartPause } from '../cold-start-backoff';

export type EndpointOptions = {
  endpoint: string;
  apiKey?: string;
  fetch: typeof fetch;
  requestTimeoutMs: number;
  logger: Logger;
};

/** A failed exchange with the endpoint. `retryable`: worth retrying while the GPU scales from zero. */
export class EndpointError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    /** The request may have reached a replica (the answer was lost): resubmitting could run it twice. */
    readonly maybeDelivered: boolean,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'EndpointError';
  }
}

export type Reply = { status: number; body: unknown; text: string };

export type ColdStartOptions = {
  budgetMs: number;
  signal?: AbortSignal;
  /** Called on each retryable failure (first one: the GPU is warming up). */
  onRetry?: (error: EndpointError, attempt: number) => void | Promise<void>;
};

export type EndpointClient = {
  /** One request. HTTP 502/503/504/429 and transport failures throw a retryable EndpointError. */
  request(
    method: 'GET' | 'POST',
    path: string,
    init?: { json?: unknown; form?: FormData; signal?: AbortSignal; timeoutMs?: number },
  ): Promise<Reply>;
  /** Run `fn` again on retryable failures until it succeeds or `budgetMs` has passed. */
  withColdStart<T>(what: string, fn: () => Promise<T>, options: ColdStartOptions): Promise<T>;
  state(): BackendState;
  /** Replace the API key with [redacted] in a text. */
  scrub(text: string): string;
};

const RETRY_STATUS = new Set([429, 502, 503, 504]);
// Failures before the request left this host: the endpoint cannot have it.
const NOT_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function causeCode(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return '';
}

export function createEndpointClient(options: EndpointOptions): EndpointClient {
  const base = options.endpoint.replace(/\/+$/, '');
  const key = options.apiKey;
  const scrub = (text: string) => (key ? text.split(key).join('[redacted]') : text);
  let lastOkAt = 0;
  let lastFailAt = 0;
  let warming = 0;
  let down = false;

  const request: EndpointClient['request'] = async (method, path, init = {}) => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (key) headers.authorization = `Bearer ${key}`;
    let body: string | FormData | undefined;
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    } else if (init.form) body = init.form;
    const timeout = AbortSignal.timeout(init.timeoutMs ?? options.requestTimeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    const what = `${method} ${path}`;
    let response: Response;
    try {
      response = await options.fetch(`${base}${path}`, { method, headers, body, signal });
    } catch (error) {
      lastFailAt = Date.now();
      if (init.signal?.aborted) throw init.signal.reason ?? error;
      if (timeout.aborted) {
        throw new EndpointError(
          `${what}: no answer within ${init.timeoutMs ?? options.requestTimeoutMs} ms`,
          true,
          true,
        );
      }
      const code = causeCode(error);
      const detail = code || (error instanceof Error ? error.message : String(error));
      throw new EndpointError(
        scrub(`${what}: cannot reach the endpoint (${detail})`),
        true,
        !NOT_SENT.has(code),
      );
    }
    const text = await response.text().catch(() => '');
    if (RETRY_STATUS.has(response.status)) {
      lastFailAt = Date.now();
      const snippet = text.replace(/\s+/g, ' ').trim().slice(0, 160);
      // 502/503 come from the gateway when no replica is up; 504 and 429 may follow a forwarded request.
      throw new EndpointError(
        scrub(
          `${what}: HTTP ${response.status} ${response.statusText}${snippet ? ` (${snippet})` : ''}`,
        ),
        true,
        response.status === 504 || response.status === 429,
        response.status,
      );
    }
    lastOkAt = Date.now();
    down = false;
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {}
    return { status: response.status, body: parsed, text: scrub(text) };
  };

  const withColdStart: EndpointClient['withColdStart'] = async (
    what,
    fn,
    { budgetMs, signal, onRetry },
  ) => {
    const started = Date.now();
    let attempts = 0;
    let counted = false;
    try {
      const result = await pRetry(
        async () => {
          try {
            return await fn();
          } catch (error) {
            // Anything but a retryable endpoint failure ends the loop at once.
            if (error instanceof EndpointError && error.retryable) throw error;
            throw new AbortError(error instanceof Error ? error : new Error(String(error)));
          }
        },
        {
          retries: 10_000,
          // p-retry's own wait is none: its jitter stops at the cap, where many jobs' retries would
          // line up; the wait is taken in onFailedAttempt instead (coldStartPause, within the budget).
          minTimeout: 0,
          maxTimeout: 0,
          maxRetryTime: budgetMs,
          signal,
          onFailedAttempt: async ({ error }) => {
            attempts++;
            if (!counted) {
              counted = true;
              warming++;
            }
            options.logger.info(
              { what, attempt: attempts, reason: scrub(error.message) },
              'endpoint not ready; retrying',
            );
            // Told first (the tab shows "GPU warming up" from the first refusal), then the wait.
            if (onRetry && error instanceof EndpointError) await onRetry(error, attempts);
            await coldStartPause(attempts, { deadline: started + budgetMs, signal });
          },
        },
      );
      return result;
    } catch (error) {
      if (signal?.aborted) throw signal.reason ?? error;
      if (error instanceof EndpointError && error.retryable) {
        down = true;
        const seconds = Math.round((Date.now() - started) / 1000);
        throw new EndpointError(
          `GPU endpoint unavailable: ${error.message} (still failing after ${attempts} attempts over ${seconds} s)`,
          false,
          error.maybeDelivered,
          error.status,
        );
      }
      throw error;
    } finally {
      if (counted) warming--;
    }
  };

  return {
    request,
    withColdStart,
    scrub,
    state: () => {
      if (warming > 0) return 'warming_up';
      if (down) return 'down';
      return lastFailAt > lastOkAt ? 'degraded' : 'ready';
    },
  };
}
