import { describe, expect, it } from 'vitest';
import { timelineSvg } from './report';
import type { JobRecord } from './stats';

const job = (
  user: string,
  index: number,
  submittedAt: number,
  startedAt: number,
  finishedAt: number,
): JobRecord => ({
  user,
  index,
  ok: true,
  submittedAt,
  startedAt,
  finishedAt,
});

describe('timelineSvg', () => {
  it('keeps every axis label inside the picture, the last one too', () => {
    const svg = timelineSvg([
      job('user001', 0, 0, 1_000, 61_000),
      job('user002', 0, 500, 2_000, 123_456),
    ]);
    const width = Number(/viewBox="0 0 (\d+) /.exec(svg)![1]);
    const labels = [
      ...svg.matchAll(
        /<text x="([\d.]+)" y="[\d.]+" font-size="11" text-anchor="(\w+)">([^<]+) s<\/text>/g,
      ),
    ];
    expect(labels).toHaveLength(6);
    expect(labels.at(-1)![3]).toBe('123.5');
    // At font-size 11 a digit is at most ~7 px wide.
    for (const [, x, anchor, text] of labels) {
      const textWidth = (text!.length + 2) * 7;
      const right =
        anchor === 'end'
          ? Number(x)
          : anchor === 'middle'
            ? Number(x) + textWidth / 2
            : Number(x) + textWidth;
      expect(right, `label "${text} s"`).toBeLessThanOrEqual(width);
    }
  });
});
