/**
 * @fileoverview How long to wait before asking a GPU again while it answers 502/503/504 (scaling
 * from zero, or a burst from its load balancer), within `COLD_START_BUDGET_S`.
 *
 * Capped near 2 s: a GPU that becomes ready is used within about 2 s (with a 5 s cap a 0.6 s job
 * behind a short burst took ~44 s). Full jitter (a random wait up to the exponential ceiling): the
 * retries of many jobs that hit the same cold GPU spread out instead of arriving together, also at
 * the cap. A small floor keeps a retry from following its failure at once.
 */
import { setTimeout as sleep } from 'node:timers/promises';

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
