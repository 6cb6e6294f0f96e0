/**
 * @fileoverview ETAs from measured run times, as pure functions: the median of recent runs is the
 * expected run time; each backend slot frees when its running job is expected to end; queued jobs
 * take the earliest free slot in dispatch order.
 */

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Expected ms until each of `queued` jobs (positions 1..queued) starts.
 * `runningElapsedMs`: how long each running job has run; `slots`: total backend capacity.
 */
export function startEtas(
  queued: number,
  runMs: number,
  slots: number,
  runningElapsedMs: readonly number[],
): number[] {
  const free: number[] = runningElapsedMs.map((elapsed) => Math.max(0, runMs - elapsed));
  while (free.length < slots) free.push(0);
  free.sort((a, b) => a - b);
  if (free.length === 0) return [];
  const out: number[] = [];
  for (let p = 0; p < queued; p++) {
    const start = free.shift()!;
    out.push(Math.round(start));
    // Keep `free` sorted: insert the slot's next free time.
    const next = start + runMs;
    let at = free.findIndex((t) => t > next);
    if (at < 0) at = free.length;
    free.splice(at, 0, next);
  }
  return out;
}
