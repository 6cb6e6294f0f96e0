/**
 * @fileoverview `comfyume bench --compare <previous bench.json>`: what changed since a previous
 * run, one line per row measured in both (platform middle before → after, its change in percent,
 * and the platform/stock ratio before → after, which is the number to trust on a shared machine),
 * with each run's load average, since a busy machine moves every absolute figure.
 */
import { readFile } from 'node:fs/promises';
import { middle, type Report, type Row } from './report';
import { round } from './stats';

/** A previous report as written to bench.json (NaN was written as null). */
export async function readReport(path: string): Promise<Report> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read a previous report at ${path}: ${(error as Error).message}`);
  }
  const report = parsed as Partial<Report>;
  if (!Array.isArray(report.rows)) throw new Error(`${path} is not a comfyume bench report`);
  return report as Report;
}

const num = (x: number | null | undefined) => (typeof x === 'number' ? x : Number.NaN);
const show = (x: number) => (Number.isFinite(x) ? String(round(x)) : '—');
const ratioOf = (row: Row) => num('value' in row.ratio ? row.ratio.value : row.ratio.p50);
const load = (r: Report) => r.machine?.loadavg?.map((l) => num(l).toFixed(2)).join(' ') ?? '?';

function changeLine(before: Row, after: Row): string {
  const was = num(middle(before.platform));
  const now = num(middle(after.platform));
  const pct = Number.isFinite(was) && was !== 0 ? ((now - was) / was) * 100 : Number.NaN;
  const better = after.better === 'lower' ? now < was : now > was;
  const word = !Number.isFinite(pct) || Math.abs(pct) < 1 ? 'same' : better ? 'better' : 'worse';
  const signed = Number.isFinite(pct) ? `${pct >= 0 ? '+' : ''}${pct.toFixed(1)} %` : '—';
  return `${after.id}: platform ${show(was)} → ${show(now)} ${after.unit} (${signed}, ${word}); ratio ${show(ratioOf(before))}× → ${show(ratioOf(after))}×`;
}

export function compareLines(previous: Report, current: Report): string[] {
  const before = new Map(previous.rows.map((row) => [row.id, row]));
  const lines = [
    `compared with ${previous.startedAt ?? 'a previous run'} (load ${load(previous)}; now ${load(current)})`,
  ];
  for (const row of current.rows) {
    const old = before.get(row.id);
    lines.push(old ? changeLine(old, row) : `${row.id}: new (no previous figure)`);
  }
  return lines;
}
