/**
 * @fileoverview Keeps serverless GPU replicas warm on the agenda (PREWARM_SCHEDULE) and after the
 * dashboard's Warm now: while either holds, a tiny model-free prompt goes straight to the endpoint
 * whenever PREWARM_INTERVAL_S (just under the provider's scale-down delay) has passed since the
 * GPU was last known busy. Attendee jobs are never delayed: the prompt bypasses the queue, and a
 * tick at which attendee jobs run is skipped (they keep the replica up themselves). Records
 * warm/cold and the last cold start measured, for the dashboard and /metrics.
 */
import type { Logger } from 'pino';
import type { BackendState } from '../../../protocol/src/index';
import type { GpuWarmth, PrewarmStatus } from '../../../protocol/src/relay/prewarm';
import type { WarmUpResult } from '../backends/serverless/warm-up';
import type { PrewarmObserve } from '../metrics/prewarm-metrics';
import { inSchedule, type PrewarmConfig } from './schedule';

/** The serverless backend as the prewarmer uses it. */
export type WarmTarget = {
  warmUp(signal?: AbortSignal): Promise<WarmUpResult>;
  state(): BackendState;
};

export type PrewarmerDeps = {
  config: PrewarmConfig;
  /** Undefined when there is nothing to warm (direct or simulated GPUs). */
  target?: WarmTarget;
  /** True while attendee jobs run on the target (read from the store, across relays). */
  busy(): Promise<boolean>;
  observe: PrewarmObserve;
  logger: Logger;
  /** How often it looks whether a warm-up is due (ms; default min(1 s, interval/2)). */
  checkMs?: number;
  now?: () => Date;
};

export class Prewarmer {
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly closing = new AbortController();
  private inFlight: Promise<void> | undefined;
  /** Whether the GPU was still warm when the warm-up in flight went out. */
  private inFlightFromWarm = false;
  private lastWarmAt: number | undefined;
  private lastColdStart: { at: number; ms: number } | undefined;
  private lastError: string | undefined;
  private failedAt: number | undefined;
  private warmNowUntil: number | undefined;
  private prompts = 0;

  constructor(private readonly deps: PrewarmerDeps) {}

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  private get checkEveryMs(): number {
    return this.deps.checkMs ?? Math.min(1_000, this.deps.config.intervalMs / 2);
  }

  start(): void {
    if (!this.deps.target || this.timer) return;
    this.timer = setInterval(() => void this.check(), this.checkEveryMs);
    this.timer.unref();
    void this.check();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.closing.abort();
    await this.inFlight;
  }

  /** The dashboard's Warm now: a warm-up prompt at once, then kept warm for PREWARM_WARM_NOW_MIN. */
  async warmNow(): Promise<PrewarmStatus> {
    if (this.deps.target) {
      this.warmNowUntil = this.now().getTime() + this.deps.config.warmNowMs;
      this.send();
    }
    return this.status();
  }

  private active(at: Date): boolean {
    return (
      inSchedule(this.deps.config.schedule, at) ||
      (this.warmNowUntil !== undefined && at.getTime() < this.warmNowUntil)
    );
  }

  /** One look: inside the schedule and the interval passed since the GPU was last known warm → warm it. */
  private async check(): Promise<void> {
    const at = this.now();
    if (this.inFlight || !this.active(at)) return;
    const since = at.getTime() - (this.lastWarmAt ?? 0);
    const retryAfterFailure = this.failedAt !== undefined && at.getTime() - this.failedAt < 5_000;
    if (since < this.deps.config.intervalMs || retryAfterFailure) return;
    const busy = await this.deps.busy().catch(() => false); // Redis away: warming does no harm
    if (busy) {
      this.lastWarmAt = at.getTime(); // attendee jobs keep the replica up; ask again an interval later
      this.deps.observe('skipped_busy');
      return;
    }
    this.send();
  }

  private send(): void {
    const target = this.deps.target;
    if (!target || this.inFlight || this.closing.signal.aborted) return;
    this.prompts++;
    this.inFlightFromWarm = this.warmWithin(this.now().getTime());
    this.inFlight = target
      .warmUp(this.closing.signal)
      .then(
        (result) => {
          this.lastWarmAt = result.acceptedAt;
          this.lastError = undefined;
          this.failedAt = undefined;
          if (result.coldStartMs !== undefined) {
            this.lastColdStart = { at: result.acceptedAt, ms: result.coldStartMs };
            this.deps.logger.info({ coldStartMs: result.coldStartMs }, 'warm-up met a cold start');
          }
          this.deps.observe(result.coldStartMs === undefined ? 'warm' : 'cold', result.coldStartMs);
        },
        (error: unknown) => {
          if (this.closing.signal.aborted) return;
          this.lastError = (error as Error).message;
          this.failedAt = Date.now();
          this.deps.observe('failed');
          this.deps.logger.warn({ err: this.lastError }, 'warm-up prompt failed');
        },
      )
      .finally(() => {
        this.inFlight = undefined;
      });
  }

  /**
   * The next warm-up is due an interval after the last one and goes out at the next look, so a
   * replica is still up (the interval is under the provider's scale-down delay) until then.
   */
  private warmWithin(at: number): boolean {
    return (
      this.lastWarmAt !== undefined &&
      at - this.lastWarmAt < this.deps.config.intervalMs + this.checkEveryMs
    );
  }

  private warmth(at: number): GpuWarmth {
    const target = this.deps.target;
    if (!target) return 'unknown';
    if (this.inFlight && target.state() === 'warming_up') return 'warming';
    // A warm-up sent to a replica that was up keeps it warm while the prompt is on its way: without
    // this, every cycle showed a blink of "cold" the dashboard's poll could lock onto.
    if (this.warmWithin(at) || (this.inFlight && this.inFlightFromWarm)) return 'warm';
    return this.lastWarmAt === undefined && !this.lastError ? 'unknown' : 'cold';
  }

  status(): PrewarmStatus {
    const at = this.now();
    const { config, target } = this.deps;
    return {
      enabled: target !== undefined,
      ...(!target && {
        reason: 'only a serverless endpoint scales to zero; direct GPUs stay up by themselves',
      }),
      schedule: config.schedule.map((r) => r.text),
      intervalS: config.intervalMs / 1000,
      inSchedule: inSchedule(config.schedule, at),
      ...(this.warmNowUntil !== undefined &&
        this.warmNowUntil > at.getTime() && { warmNowUntil: this.warmNowUntil }),
      gpu: this.warmth(at.getTime()),
      ...(this.lastWarmAt !== undefined && { lastWarmAt: this.lastWarmAt }),
      ...(this.lastColdStart && { lastColdStart: this.lastColdStart }),
      prompts: this.prompts,
      ...(this.lastError !== undefined && { lastError: this.lastError }),
    };
  }
}
