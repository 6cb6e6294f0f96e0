/**
 * @fileoverview The warm-up schedule: PREWARM_SCHEDULE (`HH:MM-HH:MM` ranges in local time, e.g.
 * `09:50-12:00,13:20-16:30`) and PREWARM_INTERVAL_S parsed with zod, every bad range named in the
 * config error, and the one question the prewarmer asks of it: is this moment inside a range?
 */
import { z } from 'zod';

/** Minutes after local midnight; `end` may be 1440 (24:00) and may be before `start` (across midnight). */
export type ScheduleRange = { start: number; end: number; text: string };

const CLOCK = /^(\d{2}):(\d{2})$/;

function minutes(clock: string, allowMidnightEnd: boolean): number | string {
  const match = CLOCK.exec(clock);
  if (!match) return `"${clock}" is not a time as HH:MM`;
  const [h, m] = [Number(match[1]), Number(match[2])];
  if (allowMidnightEnd && h === 24 && m === 0) return 1440;
  if (h > 23 || m > 59) return `"${clock}" is not a time of day (00:00 to 23:59)`;
  return h * 60 + m;
}

/** One range, or the reason it is not one. */
function parseRange(text: string): ScheduleRange | string {
  const parts = text.split('-').map((p) => p.trim());
  if (parts.length !== 2) return `"${text}" is not a range HH:MM-HH:MM`;
  const start = minutes(parts[0] as string, false);
  const end = minutes(parts[1] as string, true);
  if (typeof start === 'string') return `${start} (in "${text}")`;
  if (typeof end === 'string') return `${end} (in "${text}")`;
  if (start === end) return `"${text}" starts and ends at the same time`;
  return { start, end, text: `${parts[0]}-${parts[1]}` };
}

export const PrewarmSchedule = z
  .string()
  .optional()
  .transform((value, ctx): ScheduleRange[] => {
    const ranges: ScheduleRange[] = [];
    for (const part of (value ?? '').split(',').map((p) => p.trim())) {
      if (!part) continue;
      const range = parseRange(part);
      if (typeof range === 'string')
        ctx.addIssue({
          code: 'custom',
          message: `${range}; expected comma-separated local-time ranges like 09:50-12:00,13:20-16:30`,
        });
      else ranges.push(range);
    }
    return ranges;
  });

/** The relay's prewarm variables; config.ts spreads them into its schema. */
export const prewarmEnv = {
  PREWARM_SCHEDULE: PrewarmSchedule.describe(
    "When to keep serverless GPU replicas warm: comma-separated HH:MM-HH:MM ranges in the relay's local time (e.g. 09:50-12:00,13:20-16:30; a range may cross midnight, 24:00 ends at midnight). Inside a range the relay sends a tiny model-free prompt every PREWARM_INTERVAL_S, straight to the endpoint (never through the attendee queue). Empty: only the dashboard's Warm now.",
  ),
  PREWARM_INTERVAL_S: z.coerce
    .number()
    .int()
    .min(1)
    .default(240)
    .describe(
      "Seconds between warm-up prompts: just under the provider's scale-down delay (the idle time after which it stops a replica).",
    ),
  PREWARM_WARM_NOW_MIN: z.coerce
    .number()
    .int()
    .min(1)
    .default(30)
    .describe("How long the dashboard's Warm now keeps the GPUs warm (minutes)."),
};

export type PrewarmConfig = Readonly<{
  schedule: readonly ScheduleRange[];
  intervalMs: number;
  warmNowMs: number;
}>;

export function prewarmConfig(env: {
  PREWARM_SCHEDULE: ScheduleRange[];
  PREWARM_INTERVAL_S: number;
  PREWARM_WARM_NOW_MIN: number;
}): PrewarmConfig {
  return Object.freeze({
    schedule: Object.freeze(env.PREWARM_SCHEDULE),
    intervalMs: env.PREWARM_INTERVAL_S * 1000,
    warmNowMs: env.PREWARM_WARM_NOW_MIN * 60_000,
  });
}

/** True when `at` (local time) falls inside one of the ranges (start inclusive, end exclusive). */
export function inSchedule(schedule: readonly ScheduleRange[], at: Date): boolean {
  const now = at.getHours() * 60 + at.getMinutes();
  return schedule.some((r) =>
    r.start < r.end ? now >= r.start && now < r.end : now >= r.start || now < r.end,
  );
}
