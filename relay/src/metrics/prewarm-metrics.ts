/**
 * @fileoverview The prewarmer's series: warm-up prompts sent (by outcome: accepted warm, accepted
 * after a cold start, failed) and ticks skipped because attendee jobs kept the GPU busy, plus the
 * last cold start measured. Counted by the relay that sent them.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export type PrewarmOutcome = 'warm' | 'cold' | 'failed' | 'skipped_busy';

export type PrewarmObserve = (outcome: PrewarmOutcome, coldStartMs?: number) => void;

export function registerPrewarmMetrics(registry: Registry): PrewarmObserve {
  const prompts = new Counter({
    name: 'comfyume_prewarm_prompts_total',
    help: 'Warm-up prompts sent to the serverless endpoint (PREWARM_SCHEDULE, Warm now), by outcome: warm, cold (a replica had to start), failed; skipped_busy counts ticks left out because attendee jobs ran',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const lastCold = new Gauge({
    name: 'comfyume_prewarm_last_cold_start_seconds',
    help: 'The last cold start a warm-up prompt measured (first try to accepted prompt)',
    registers: [registry],
  });
  for (const outcome of ['warm', 'cold', 'failed', 'skipped_busy']) prompts.inc({ outcome }, 0);
  return (outcome, coldStartMs) => {
    prompts.inc({ outcome });
    if (coldStartMs !== undefined) lastCold.set(coldStartMs / 1000);
  };
}
