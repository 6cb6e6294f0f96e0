/**
 * Smoke test of `comfyume bench --quick` as a user runs it (a child process of bin/comfyume.js):
 * the printed table and reports/bench.json hold every row, with positive sample counts and finite
 * numbers. Benchmarks are measured, never asserted: no timing is compared with any threshold here.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRow, textTable, toJson, type Report } from '../../bench/src/report';
import { percentile } from '../../kit/percentile';
import { distribution, value } from '../../bench/src/stats';

const repo = fileURLToPath(new URL('../..', import.meta.url));

const ROWS = [
  ['first-event', 'Queue Prompt → first event'],
  ['visible', 'output written → image visible'],
  ['finished', 'Queue Prompt → run finished'],
  ['view-rps', '/view throughput'],
  ['view-mbps', '/view throughput'],
  ['view-latency', '/view request time'],
  ['admissions', 'admissions'],
  ['admission-latency', 'admission request time'],
  ['memory-rss', 'memory of one sidecar (RSS)'],
  ['memory-heap', 'memory of one sidecar (JS heap used)'],
  ['panels', 'queue + history panels refresh'],
  ['events', 'event latency, 200 users / 1000 sockets'],
  ['events-sidecars', 'event latency via sidecars'],
  ['worker-first-event', 'Queue Prompt → first event, through a pull worker'],
  ['worker-visible', 'output written → image visible, through a pull worker'],
  ['worker-finished', 'Queue Prompt → run finished, through a pull worker'],
] as const;

type SideJson =
  | { kind: 'distribution'; n: number; p50: number; p95: number }
  | { kind: 'value'; n: number; value: number };
type RowJson = {
  id: string;
  measure: string;
  unit: string;
  stock: SideJson;
  platform: SideJson;
  ratio: Record<string, number>;
};
type ReportJson = { mode: string; rows: RowJson[]; errors: unknown[] };

let dir: string;
let run: { code: number | null; stdout: string; stderr: string };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'comfyume-bench-smoke-'));
  run = await new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['bin/comfyume.js', 'bench', '--quick', '--reports', dir],
      { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // A bound on the whole command, so a hang fails the test instead of stalling the suite.
    const timer = setTimeout(() => child.kill('SIGKILL'), 200_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}, 210_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('comfyume bench --quick', () => {
  it('exits 0 and prints a table with every row', () => {
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    const lines = run.stdout.split('\n');
    const header = lines.find((l) => /^\s*#\s+measure\s+unit\s+stock/.test(l));
    expect(header, run.stdout).toBeDefined();
    for (const [, measure] of ROWS)
      expect(
        lines.some((l) => l.includes(measure)),
        measure,
      ).toBe(true);
    // numbered rows, each with its footnote
    for (let i = 1; i <= ROWS.length; i++) {
      expect(
        lines.some((l) => new RegExp(`^\\s*${i}\\s{2}`).test(l)),
        `row ${i}`,
      ).toBe(true);
      expect(
        lines.some((l) => l.startsWith(`[${i}] `)),
        `footnote ${i}`,
      ).toBe(true);
    }
  });

  it('writes bench.json with every row, positive sample counts and finite numbers', async () => {
    const report = JSON.parse(await readFile(join(dir, 'bench.json'), 'utf8')) as ReportJson;
    expect(report.mode).toBe('quick');
    expect(report.errors).toEqual([]);
    expect(report.rows.map((r) => r.id)).toEqual(ROWS.map(([id]) => id));
    for (const row of report.rows) {
      for (const side of [row.stock, row.platform]) {
        expect(side.n, `${row.id} sample count`).toBeGreaterThan(0);
        const numbers = side.kind === 'distribution' ? [side.p50, side.p95] : [side.value];
        for (const x of numbers)
          expect(Number.isFinite(x), `${row.id}: ${JSON.stringify(side)}`).toBe(true);
      }
      const ratios = Object.values(row.ratio);
      expect(ratios.length).toBeGreaterThan(0);
      for (const x of ratios)
        expect(Number.isFinite(x), `${row.id} ratio ${JSON.stringify(row.ratio)}`).toBe(true);
    }
  });

  it('writes bench.md with the same rows', async () => {
    const md = await readFile(join(dir, 'bench.md'), 'utf8');
    for (const [, measure] of ROWS) expect(md).toContain(`| ${measure}`);
  });
});

describe('bench arithmetic and table (pure)', () => {
  it('percentile is nearest-rank and NaN for no samples', () => {
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10);
    expect(percentile([], 50)).toBeNaN();
  });

  it('ratios are platform / stock, and "—" (null in JSON) when stock is zero', () => {
    const row = makeRow({
      id: 'x',
      bench: 'view',
      measure: 'm',
      unit: 'req/s',
      better: 'higher',
      stock: value(3, 0),
      platform: value(3, 5),
      how: 'h',
    });
    expect(row.ratio).toEqual({ value: Number.NaN });
    const json = JSON.parse(
      toJson({
        startedAt: '',
        finishedAt: '',
        mode: 'quick',
        machine: { cpus: 1, loadavg: [], node: '' },
        rows: [row],
        errors: [],
      }),
    ) as { rows: { ratio: { value: unknown } }[] };
    expect(json.rows[0]?.ratio.value).toBeNull();
    const latency = makeRow({
      id: 'y',
      bench: 'visible',
      measure: 'm',
      unit: 'ms',
      better: 'lower',
      stock: distribution([2, 2, 4]),
      platform: distribution([6, 6, 8]),
      how: 'h',
    });
    expect(latency.ratio).toEqual({ p50: 3, p95: 2 });
  });

  it('prints aligned columns', () => {
    const report: Report = {
      startedAt: '',
      finishedAt: '',
      mode: 'quick',
      machine: { cpus: 1, loadavg: [], node: '' },
      errors: [],
      rows: [
        makeRow({
          id: 'a',
          bench: 'visible',
          measure: 'short',
          unit: 'ms',
          better: 'lower',
          stock: distribution([1]),
          platform: distribution([12345.678]),
          how: 'h',
        }),
        makeRow({
          id: 'b',
          bench: 'view',
          measure: 'a much longer measure name',
          unit: 'MB/s',
          better: 'higher',
          stock: value(10, 1.5),
          platform: value(10, 3),
          how: 'h',
        }),
      ],
    };
    const [header, , first, second] = textTable(report).split('\n');
    // the unit column starts at the same offset on every line
    const at = header!.indexOf('unit');
    expect(first!.slice(at, at + 2)).toBe('ms');
    expect(second!.slice(at, at + 4)).toBe('MB/s');
    expect(first!.length).toBe(second!.length);
  });
});
