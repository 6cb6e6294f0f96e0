/**
 * @fileoverview The operator's view of the warm-up schedule (relay ⇄ dashboard):
 *
 *   GET  /api/admin/prewarm            (admin) → PrewarmStatus
 *   POST /api/admin/prewarm/warm-now   (admin) → PrewarmStatus (sends a warm-up prompt now and keeps
 *                                      the GPUs warm for PREWARM_WARM_NOW_MIN); a user token gets 403
 */
import { z } from 'zod';

/** What the relay believes of the serverless GPU: warm (a replica took a prompt within the interval), warming (a replica is starting), cold. */
export const GpuWarmth = z.enum(['warm', 'warming', 'cold', 'unknown']);
export type GpuWarmth = z.infer<typeof GpuWarmth>;

export const PrewarmStatus = z.object({
  /** False when there is nothing to warm (direct GPUs stay up); `reason` says why. */
  enabled: z.boolean(),
  reason: z.string().optional(),
  /** PREWARM_SCHEDULE's ranges as written, local time of the relay. */
  schedule: z.array(z.string()),
  intervalS: z.number(),
  /** Inside a scheduled range now. */
  inSchedule: z.boolean(),
  /** Warm now keeps the GPUs warm until then (ms epoch). */
  warmNowUntil: z.number().optional(),
  gpu: GpuWarmth,
  /** The last warm-up prompt accepted, or the last tick an attendee job kept the GPU busy (ms epoch). */
  lastWarmAt: z.number().optional(),
  /** The last cold start a warm-up measured: first try → prompt accepted. */
  lastColdStart: z.object({ at: z.number(), ms: z.number() }).optional(),
  /** Warm-up prompts this relay sent since it started. */
  prompts: z.number().int().nonnegative(),
  lastError: z.string().optional(),
});
export type PrewarmStatus = z.infer<typeof PrewarmStatus>;
