/**
 * @fileoverview Short human wording for ages and ids on the dashboard (pure, tested); durations
 * are ui-kit/format.ts, worded as the extension words them.
 */

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
