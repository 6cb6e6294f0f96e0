/**
 * @fileoverview Benchmark rows and how they are shown: an aligned plain-text table for the
 * terminal, the same table as Markdown, and the JSON document written to reports/bench.json.
 */
import { ratio, round, type Ratio, type Side } from './stats';

export const BENCHES = [
  'first-event',
  'visible',
  'view',
  'admissions',
  'memory',
  'panels',
  'events',
  'agent',
  'workers',
] as const;
export type BenchName = (typeof BENCHES)[number];

export type Row = {
  id: string;
  bench: BenchName;
  measure: string;
  unit: string;
  /** Which direction is better for the user; ratios are always platform / stock. */
  better: 'lower' | 'higher';
  stock: Side;
  platform: Side;
  ratio: Ratio;
  /** How this number was measured (printed under the table). */
  how: string;
  /** Runs that did not complete (timeouts, non-2xx); they are not in the samples. */
  failures?: number;
};

export type Report = {
  startedAt: string;
  finishedAt: string;
  mode: 'quick' | 'default';
  machine: { cpus: number; loadavg: number[]; node: string };
  rows: Row[];
  errors: { bench: BenchName; message: string }[];
};

export function makeRow(row: Omit<Row, 'ratio'>): Row {
  return { ...row, ratio: ratio(row.stock, row.platform) };
}

/** The middle of a side: p50 for a distribution, else the measured value. */
export const middle = (side: Side): number =>
  side.kind === 'distribution' ? side.p50 : side.value;
const middleRatio = (r: Ratio): number => ('value' in r ? r.value : r.p50);

/** The goals issue 16 set for the platform, by row id; rows without one have none. */
const GOALS: Record<string, { text: string; met: (row: Row) => boolean }> = {
  'first-event': {
    text: 'platform ≤ stock + 5 ms',
    met: (row) => middle(row.platform) <= middle(row.stock) + 5,
  },
  visible: { text: 'ratio ≤ 1.5×', met: (row) => middleRatio(row.ratio) <= 1.5 },
  'view-rps': { text: 'ratio ≥ 0.95×', met: (row) => middleRatio(row.ratio) >= 0.95 },
  'memory-rss': { text: 'platform ≤ 60 MB', met: (row) => middle(row.platform) <= 60 },
};

/** Whether a row meets its goal (undefined: no goal, or nothing measured). */
export function goalOf(row: Row): { text: string; met: boolean } | undefined {
  const goal = GOALS[row.id];
  if (!goal || !Number.isFinite(middle(row.platform))) return undefined;
  return { text: goal.text, met: goal.met(row) };
}

/** One line per row: both middles, the ratio, and the goal when it has one. */
export function summaryLine(row: Row): string {
  const goal = goalOf(row);
  const verdict = goal ? ` — goal ${goal.text}: ${goal.met ? 'met' : 'NOT met'}` : '';
  return `${row.id}: platform ${fmt(middle(row.platform))} ${row.unit} vs stock ${fmt(middle(row.stock))} ${row.unit} = ${fmtRatio(middleRatio(row.ratio))} (${row.better} is better)${verdict}`;
}

const fmt = (x: number | undefined) =>
  x === undefined || !Number.isFinite(x) ? '—' : String(round(x));
const fmtRatio = (x: number | undefined) =>
  x === undefined || !Number.isFinite(x) ? '—' : `${round(x)}×`;

/** The cells of one row: stock/platform show p50 (or the single measured value) and p95. */
function cells(row: Row, index: number): string[] {
  const side = (s: Side) =>
    s.kind === 'distribution'
      ? [fmt(s.p50), fmt(s.p95), String(s.n)]
      : [fmt(s.value), '—', String(s.n)];
  const r = row.ratio;
  const ratios = 'value' in r ? [fmtRatio(r.value), '—'] : [fmtRatio(r.p50), fmtRatio(r.p95)];
  return [
    `${index + 1}`,
    row.measure,
    row.unit,
    ...side(row.stock),
    ...side(row.platform),
    ...ratios,
    row.better === 'lower' ? '↓' : '↑',
  ];
}

const HEADER = [
  '#',
  'measure',
  'unit',
  'stock',
  'p95',
  'n',
  'platform',
  'p95',
  'n',
  'ratio',
  'ratio p95',
  'better',
];
const RIGHT = new Set([0, 3, 4, 5, 6, 7, 8, 9, 10]);

export function textTable(report: Report): string {
  const body = report.rows.map(cells);
  const widths = HEADER.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (RIGHT.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  return [
    line(HEADER),
    rule,
    ...body.map(line),
    rule,
    ...report.rows.map(summaryLine),
    rule,
    ...legend(report),
  ].join('\n');
}

export function markdownTable(report: Report): string {
  const body = report.rows.map(cells);
  const row = (r: string[]) => `| ${r.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  const align = HEADER.map((_, i) => (RIGHT.has(i) ? '---:' : ':---'));
  return [
    `# comfyume bench (${report.mode})`,
    '',
    `${report.startedAt} → ${report.finishedAt} · ${report.machine.cpus} CPUs · load ${report.machine.loadavg.map((l) => l.toFixed(2)).join(' ')} · Node ${report.machine.node}`,
    '',
    row(HEADER),
    `| ${align.join(' | ')} |`,
    ...body.map(row),
    '',
    ...report.rows.map((r) => `- ${summaryLine(r)}`),
    '',
    ...legend(report).map((l) => (l ? `${l}  ` : '')),
  ].join('\n');
}

function legend(report: Report): string[] {
  const notes = report.rows.map(
    (r, i) => `[${i + 1}] ${r.how}${r.failures ? ` (${r.failures} failed runs left out)` : ''}`,
  );
  const errors = report.errors.map((e) => `!! ${e.bench}: ${e.message}`);
  return [
    'stock = simulated ComfyUI 0.27 doing the work directly; platform = the same work through sidecar → relay (Redis) → GPU simulator.',
    'stock/platform columns: p50 for distributions, the measured value for rates; ratio = platform / stock, ↓/↑ = which way is better.',
    ...notes,
    ...errors,
  ];
}

/** JSON with NaN as null (JSON has no NaN), numbers rounded for reading. */
export function toJson(report: Report): string {
  return JSON.stringify(
    report,
    (_key, v: unknown) => (typeof v === 'number' ? (Number.isFinite(v) ? round(v) : null) : v),
    2,
  );
}
