/** Cold-start retry waits: exponential up to a cap near 2 s, full jitter, bounded by the budget and abortable. */
import { describe, expect, it } from 'vitest';
import { coldStartDelay, coldStartPause } from './cold-start';

describe('coldStartDelay', () => {
  it('grows from 250 ms and never passes 2 s, at any attempt', () => {
    const highest = (attempt: number) => coldStartDelay(attempt, () => 1);
    expect([1, 2, 3, 4, 5, 6, 50].map(highest)).toEqual([250, 500, 1000, 2000, 2000, 2000, 2000]);
  });

  it('is fully jittered, at the cap too: anywhere from the 50 ms floor to the ceiling', () => {
    expect(coldStartDelay(1, () => 0)).toBe(50);
    expect(coldStartDelay(30, () => 0)).toBe(50);
    expect(coldStartDelay(30, () => 0.5)).toBe(1025);
    const spread = new Set(Array.from({ length: 50 }, () => coldStartDelay(30)));
    expect(spread.size).toBeGreaterThan(10); // many jobs at the cap do not retry in step
  });
});

describe('coldStartPause', () => {
  it('does not wait past the deadline', async () => {
    const before = performance.now();
    await coldStartPause(30, { deadline: Date.now() });
    expect(performance.now() - before).toBeLessThan(1_000); // a 2 s ceiling, cut to nothing
  });

  it('rejects with the reason when aborted', async () => {
    const abort = new AbortController();
    const paused = coldStartPause(30, { deadline: Date.now() + 60_000, signal: abort.signal });
    abort.abort(new Error('cancelled by the user'));
    await expect(paused).rejects.toThrow('cancelled by the user');
  });
});
