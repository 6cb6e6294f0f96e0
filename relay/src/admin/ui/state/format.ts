/** @fileoverview Short human wording for durations, ages and ids on the dashboard (pure, tested). */

/** `850 ms` → `0.9s`, `75 000` → `1m 15s`, `5 400 000` → `1h 30m`. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  const s = Math.max(0, ms) / 1000;
  if (s < 10) return `${(Math.round(s * 10) / 10).toFixed(1)}s`;
  if (s < 60) return `${Math.round(s)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(Math.round(s - m * 60)).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  return `${h}h ${String(m - h * 60).padStart(2, '0')}m`;
}

/** `now - at` as "just now", "12s ago", "4m ago", "2h ago". */
export function formatAgo(at: number | undefined, now: number): string {
  if (at === undefined) return '—';
  const s = Math.round((now - at) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  return `${Math.floor(s / 3600)}h ago`;
}

/** The first block of a UUID: enough to tell jobs apart on screen. */
export const shortId = (id: string) => id.slice(0, 8);
