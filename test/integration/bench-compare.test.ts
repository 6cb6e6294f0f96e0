import { describe, expect, it } from 'vitest';
import { compareLines } from '../../bench/src/compare';
import { makeRow, summaryLine, type Report, type Row } from '../../bench/src/report';
import { distribution, value } from '../../bench/src/stats';

const report = (rows: Row[], load: number): Report => ({
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:01:00.000Z',
  mode: 'quick',
  machine: { cpus: 2, loadavg: [load, load, load], node: '20' },
  rows,
  errors: [],
});
const firstEvent = (stock: number, platform: number) =>
  makeRow({
    id: 'first-event',
    bench: 'first-event',
    measure: 'Queue Prompt → first event',
    unit: 'ms',
    better: 'lower',
    stock: distribution([stock]),
    platform: distribution([platform]),
    how: '',
  });
const view = (stock: number, platform: number) =>
  makeRow({
    id: 'view-rps',
    bench: 'view',
    measure: '/view throughput',
    unit: 'req/s',
    better: 'higher',
    stock: value(100, stock),
    platform: value(100, platform),
    how: '',
  });

describe('bench --compare and summaries', () => {
  it('prints the change of each row measured in both runs, and new rows as new', () => {
    const lines = compareLines(
      report([firstEvent(3, 20)], 1.5),
      report([firstEvent(3, 6), view(400, 420)], 0.5),
    );
    expect(lines[0]).toContain('load 1.50 1.50 1.50; now 0.50 0.50 0.50');
    expect(lines[1]).toBe('first-event: platform 20 → 6 ms (-70.0 %, better); ratio 6.67× → 2×');
    expect(lines[2]).toBe('view-rps: new (no previous figure)');
  });

  it('says per row whether it meets the goal issue 16 set', () => {
    expect(summaryLine(firstEvent(3, 7.5))).toContain('goal platform ≤ stock + 5 ms: met');
    expect(summaryLine(firstEvent(3, 9))).toContain('NOT met');
    expect(summaryLine(view(400, 300))).toBe(
      'view-rps: platform 300 req/s vs stock 400 req/s = 0.75× (higher is better) — goal ratio ≥ 0.95×: NOT met',
    );
  });
});
