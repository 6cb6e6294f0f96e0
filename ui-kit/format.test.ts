/** @fileoverview The one wording of durations, totals and estimates both browser UIs show. */
import { describe, expect, it } from 'vitest';
import { formatDuration, formatEta, formatTook } from './format';

describe('formatDuration', () => {
  it('says seconds up to 100, then minutes and hours', () => {
    expect([45_000, 72_400, 120_000, 125_000, 3_720_000].map(formatDuration)).toEqual([
      '45 s',
      '72 s',
      '2 min',
      '2 min 5 s',
      '1 h 2 min',
    ]);
  });
  it('never goes negative, and says "—" without a number', () => {
    expect([-5, undefined, Number.NaN].map(formatDuration)).toEqual(['0 s', '—', '—']);
  });
});

describe('formatTook', () => {
  it('gives a decimal under 10 s, so a cached re-run does not read "0 s"', () => {
    expect([850, 9_940, 9_960, 12_400, 75_000].map(formatTook)).toEqual([
      '0.9 s',
      '9.9 s',
      '10 s',
      '12 s',
      '75 s',
    ]);
    expect([-5, undefined].map(formatTook)).toEqual(['0.0 s', '—']);
  });
});

describe('formatEta', () => {
  it('rounds estimates so they do not pretend to precision', () => {
    expect([4_000, 42_000, 80_000, 180_000, -1].map(formatEta)).toEqual([
      'a few seconds',
      '~40 s',
      '~80 s',
      '~3 min',
      'a few seconds',
    ]);
  });
});
