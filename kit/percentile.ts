/**
 * @fileoverview The one percentile of the tree: nearest-rank (the smallest sample with at least p %
 * of the samples at or below it), as the relay's latency windows, `comfyume rehearse` and the bench
 * report it. No interpolation: a reported p95 is always a value that was measured.
 */

/**
 * Nearest-rank percentile (p in 0..100) of unsorted values. `whenEmpty` for no samples: NaN unless
 * the caller's report shows 0 for "nothing measured yet".
 */
export function percentile(values: readonly number[], p: number, whenEmpty = Number.NaN): number {
  if (values.length === 0) return whenEmpty;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}
