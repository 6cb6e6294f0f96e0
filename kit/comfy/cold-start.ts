/**
 * @fileoverview Asking a ComfyUI again while it starts (a GPU scaling from zero answers 502/503,
 * or cannot be reached), within a budget: one loop (p-retry) for the direct backend and the
 * serverless endpoint, with the wait between tries taken here rather than by p-retry.
 *
 * The wait: capped near 2 s, so a GPU that becomes ready is used within about 2 s (with a 5 s cap
 * a 0.6 s job behind a short burst took ~44 s). Full jitter (a random wait up to the exponential
 * ceiling): the retries of many jobs that hit the same cold GPU spread out instead of arriving
 * together, also at the cap (p-retry's own jitter stops at its cap). A small floor keeps a retry
 * from following its failure at once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pRetry, { AbortError } from 'p-retry';
import { ComfyUnavailable } from './errors';

export type BackoffShape = { firstMs: number; capMs: number; floorMs: number };

export const COLD_START_BACKOFF: BackoffShape = { firstMs: 250, capMs: 2_000, floorMs: 50 };

/** The wait before retry `attempt` (1 = after the first failure): uniform in [floor, min(cap, first·2^(attempt-1))]. */
export function coldStartDelay(
  attempt: number,
  random: () => number = Math.random,
  shape: BackoffShape = COLD_START_BACKOFF,
): number {
  const ceiling = Math.min(shape.capMs, shape.firstMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(shape.floorMs + random() * Math.max(0, ceiling - shape.floorMs));
}

/** Waits `coldStartDelay(attempt)`, never past `deadline` (epoch ms); rejects with the signal's reason when aborted. */
export async function coldStartPause(
  attempt: number,
  options: { deadline: number; signal?: AbortSignal },
): Promise<void> {
  const ms = Math.min(coldStartDelay(attempt), Math.max(0, options.deadline - Date.now()));
  // The signal's own reason (a cancel, a lost lease), not node's generic AbortError.
  if (ms > 0)
    await sleep(ms, undefined, { signal: options.signal }).catch((error: unknown) => {
      options.signal?.throwIfAborted();
      throw error;
    });
  options.signal?.throwIfAborted();
}

export type ColdStartOptions = {
  /** Epoch ms after which no failure is retried. */
  deadline: number;
  signal?: AbortSignal;
  /**
   * 'stop' (default): a wait that reaches the deadline ends the loop, and an abort ends it even
   * after a try that succeeded. 'try-again': one more try at the deadline, the loop ends when a
   * failure comes after it; the signal only cuts the waits (a try that landed counts).
   */
  atDeadline?: 'stop' | 'try-again';
  /** Called on each retryable failure, before its wait (the tab shows "GPU warming up" from the first). */
  onRetry?: (error: ComfyUnavailable, attempt: number) => void | Promise<void>;
  /** The error the loop ends with once the deadline passed (default: the last failure). */
  giveUp?: (error: ComfyUnavailable, attempts: number) => Error;
};

const isRetryable = (error: unknown): error is ComfyUnavailable =>
  error instanceof ComfyUnavailable && error.retryable;

/**
 * Runs `fn` again while it fails with a retryable ComfyUnavailable, until it succeeds or the
 * deadline passes; any other failure ends the loop at once. An aborted signal ends it with the
 * signal's reason.
 */
export async function retryColdStart<T>(
  fn: (attempt: number) => Promise<T>,
  options: ColdStartOptions,
): Promise<T> {
  const { deadline, signal, onRetry } = options;
  const stopAtDeadline = (options.atDeadline ?? 'stop') === 'stop';
  let attempts = 0;
  try {
    return await pRetry(
      async (attempt) => {
        try {
          return await fn(attempt);
        } catch (error) {
          if (isRetryable(error)) throw error;
          throw new AbortError(error instanceof Error ? error : new Error(String(error)));
        }
      },
      {
        retries: Number.POSITIVE_INFINITY,
        // p-retry's own wait is none: the wait is coldStartPause's, within the deadline.
        minTimeout: 0,
        maxTimeout: 0,
        maxRetryTime: stopAtDeadline ? Math.max(0, deadline - Date.now()) : undefined,
        signal: stopAtDeadline ? signal : undefined,
        onFailedAttempt: async ({ error, attemptNumber }) => {
          attempts = attemptNumber;
          if (!stopAtDeadline && Date.now() > deadline) throw error;
          if (onRetry && error instanceof ComfyUnavailable) await onRetry(error, attemptNumber);
          await coldStartPause(attemptNumber, { deadline, signal });
        },
      },
    );
  } catch (error) {
    if (signal?.aborted) throw signal.reason ?? error;
    if (isRetryable(error) && options.giveUp) throw options.giveUp(error, attempts);
    throw error;
  }
}
