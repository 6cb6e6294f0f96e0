/**
 * @fileoverview How every browser UI says a duration: elapsed times, a finished job's total and an
 * estimate. One wording, the attendee's (the extension's), so the dashboard reads the same.
 */

/**
 * "45 s", "72 s", "2 min 5 s", "1 h 3 min" (seconds up to 100: easier to compare at a glance);
 * "—" when there is no number.
 */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 100) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/**
 * A measured time (a finished job's total, a mean wait): under 10 s it gets a decimal (cached
 * re-runs, tiny graphs), since "0 s" reads like a bug; "—" when there is no number.
 */
export function formatTook(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  return ms < 9_950
    ? `${(Math.round(Math.max(0, ms) / 100) / 10).toFixed(1)} s`
    : formatDuration(ms);
}

/** An estimate, rounded so it does not pretend to precision: "~40 s", "~3 min", "a few seconds". */
export function formatEta(ms: number): string {
  const s = Math.max(0, ms / 1000);
  if (s < 10) return 'a few seconds';
  if (s < 90) return `~${Math.round(s / 5) * 5} s`;
  return `~${Math.round(s / 60)} min`;
}
