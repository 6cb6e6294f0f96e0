import { describe, expect, it } from 'vitest';
import { median, startEtas } from './eta';

describe('eta', () => {
  it('takes the median of recent runs', () => {
    expect(median([])).toBeUndefined();
    expect(median([30, 10, 20])).toBe(20);
    expect(median([10, 20, 30, 40])).toBe(25);
  });

  it('puts queued jobs on the earliest free slot in order', () => {
    // one slot, a job running for 4 s of an expected 10 s
    expect(startEtas(3, 10_000, 1, [4_000])).toEqual([6_000, 16_000, 26_000]);
    // two slots, one idle
    expect(startEtas(3, 10_000, 2, [4_000])).toEqual([0, 6_000, 10_000]);
    // overdue running job: expected to end now
    expect(startEtas(1, 10_000, 1, [12_000])).toEqual([0]);
  });
});
