/** @fileoverview The nearest-rank percentile shared by the relay, rehearse and bench. */
import { describe, expect, it } from 'vitest';
import { percentile } from './percentile';

describe('percentile', () => {
  it('is nearest-rank over unsorted values', () => {
    const values = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect(percentile(values, 50)).toBe(5);
    expect(percentile(values, 95)).toBe(10);
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile([7], 0)).toBe(7);
  });

  it('answers NaN for no samples, or the value the caller reports for none', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(percentile([], 50, 0)).toBe(0);
  });
});
