/** @fileoverview The reconnect loops' capped doubling wait. */
import { describe, expect, it } from 'vitest';
import { reconnectBackoff } from './reconnect-backoff';

describe('reconnectBackoff', () => {
  it('doubles from the first wait up to the cap, and starts over after a reset', () => {
    const backoff = reconnectBackoff(250, 2_000);
    expect([1, 2, 3, 4, 5].map(() => backoff.next())).toEqual([250, 500, 1_000, 2_000, 2_000]);
    backoff.reset();
    expect(backoff.next()).toBe(250);
  });
});
