/** @fileoverview Wording of ages, and the sparkline's SVG geometry (durations: ui-kit/format.test.ts). */
import { describe, expect, it } from 'vitest';
import { formatAgo } from './format';
import { sparkline } from './sparkline';

describe('format', () => {
  it('formats ages', () => {
    expect([0, 12_000, 240_000, 7_300_000].map((ms) => formatAgo(1e9 - ms, 1e9))).toEqual([
      'just now',
      '12s ago',
      '4m ago',
      '2h ago',
    ]);
    expect(formatAgo(undefined, 0)).toBe('—');
  });
});

describe('sparkline', () => {
  it('scales from zero to the max over the box', () => {
    const g = sparkline([0, 5, 10], 100, 20, 0);
    expect(g.line).toBe('M0 20 L50 10 L100 0');
    expect(g.area).toBe('M0 20 L0 20 L50 10 L100 0 L100 20 Z');
    expect(g.max).toBe(10);
    expect(g.last).toBe(10);
    expect(g.end).toEqual([100, 0]);
  });
  it('breaks the line where there is no data and marks the last point', () => {
    const g = sparkline([1, undefined, 2, 2], 30, 10, 0);
    expect(g.line).toBe('M0 5 M20 0 L30 0');
    expect(g.end).toEqual([30, 0]);
  });
  it('draws nothing without data and a flat line for all zeros', () => {
    expect(sparkline([], 10, 10)).toMatchObject({ line: '', area: '', end: undefined });
    expect(sparkline([undefined, undefined], 10, 10)).toMatchObject({ line: '' });
    expect(sparkline([0, 0], 10, 10, 0).line).toBe('M0 10 L10 10');
  });
});
