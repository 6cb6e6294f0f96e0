/**
 * @fileoverview Benchmark arithmetic as pure functions: clocks, sample summaries (nearest-rank
 * percentiles, kit/percentile.ts) and platform/stock ratios. Nothing here asserts a timing; it only
 * describes samples.
 */
import { percentile } from '../../kit/percentile';

/**
 * Monotonic milliseconds from CLOCK_MONOTONIC: the same clock in every process on this machine,
 * so a time taken in the bench process and one taken in a client child process can be subtracted.
 */
export function monoMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable with file mtimes. */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

/** A distribution (latencies, memory samples): count, p50, p95, mean, min, max. */
export type Distribution = {
  kind: 'distribution';
  n: number;
  p50: number;
  p95: number;
  mean: number;
  min: number;
  max: number;
};
/** One measured value (a rate over a bounded run) and the number of events it counts. */
export type Value = { kind: 'value'; n: number; value: number };
export type Side = Distribution | Value;

export function distribution(values: readonly number[]): Distribution {
  const n = values.length;
  return {
    kind: 'distribution',
    n,
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    mean: n ? values.reduce((a, b) => a + b, 0) / n : Number.NaN,
    min: n ? Math.min(...values) : Number.NaN,
    max: n ? Math.max(...values) : Number.NaN,
  };
}

export function value(n: number, measured: number): Value {
  return { kind: 'value', n, value: measured };
}

/** platform / stock; NaN when stock is zero or missing (shown as "—", never as infinity). */
function divide(platform: number, stock: number): number {
  return Number.isFinite(platform) && Number.isFinite(stock) && stock !== 0
    ? platform / stock
    : Number.NaN;
}

export type Ratio = { p50: number; p95: number } | { value: number };

export function ratio(stock: Side, platform: Side): Ratio {
  if (stock.kind === 'distribution' && platform.kind === 'distribution')
    return { p50: divide(platform.p50, stock.p50), p95: divide(platform.p95, stock.p95) };
  if (stock.kind === 'value' && platform.kind === 'value')
    return { value: divide(platform.value, stock.value) };
  throw new Error('a ratio needs two sides of the same kind');
}

/** Round for reports: 3 significant digits above 1, more below, so small latencies keep their meaning. */
export function round(x: number): number {
  if (!Number.isFinite(x)) return x;
  const abs = Math.abs(x);
  const digits = abs >= 100 ? 1 : abs >= 1 ? 2 : 3;
  return Number(x.toFixed(digits));
}
