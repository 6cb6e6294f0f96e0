/**
 * @fileoverview The wait before a socket that runs as long as its owner connects again: first,
 * doubled per failed try up to a cap, back to first once a connection opens. A reconnect loop never
 * gives up, which p-retry (a bounded retry of one call) does not model; everything that retries a
 * call a bounded number of times or within a budget uses p-retry instead.
 */

export type ReconnectBackoff = {
  /** The wait before the next try; each call doubles the one after, up to the cap. */
  next(): number;
  /** A connection opened: the next wait is the first again. */
  reset(): void;
};

export function reconnectBackoff(firstMs: number, capMs: number): ReconnectBackoff {
  let waitMs = firstMs;
  return {
    next() {
      const now = waitMs;
      waitMs = Math.min(waitMs * 2, capMs);
      return now;
    },
    reset() {
      waitMs = firstMs;
    },
  };
}
