/**
 * @fileoverview Tells a dead direct GPU from a network blip. Its WebSocket closing starts health
 * checks (GET /queue, short timeout): one that answers means the GPU lives (the socket reconnects
 * and jobs keep following); only when every check has failed for `deadAfterMs` since the socket
 * closed is the GPU dead, and the jobs it ran are resubmitted or failed (direct.ts). The socket
 * coming back ends the verdict.
 */
import type { Logger } from 'pino';

export type GpuHealthOptions = {
  /** Socket closed and every check failing for this long → dead. */
  deadAfterMs: number;
  /** Interval between checks while the socket is closed. */
  pollMs: number;
};

export type DeathVerdict = { since: number; why: string };

export class GpuHealth {
  private closedAt: number | undefined;
  private failingSince: number | undefined;
  private lastFailure = '';
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private verdict: DeathVerdict | undefined;
  private readonly listeners = new Set<(verdict: DeathVerdict) => void>();

  constructor(
    private readonly name: string,
    /** Resolves when the GPU answered; rejects (with why) when it did not. */
    private readonly check: () => Promise<void>,
    private readonly options: GpuHealthOptions,
    private readonly logger: Logger,
  ) {}

  /** The verdict, while the GPU is judged dead. */
  get dead(): DeathVerdict | undefined {
    return this.verdict;
  }

  socketClosed(): void {
    if (this.stopped || this.closedAt !== undefined) return;
    this.closedAt = Date.now();
    this.schedule(0);
  }

  socketOpened(): void {
    this.closedAt = undefined;
    this.failingSince = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.verdict)
      this.logger.info({ gpu: this.name }, 'the direct GPU judged dead answers again');
    this.verdict = undefined;
  }

  /** Call `listener` once the GPU is judged dead (at once when it already is); returns the unsubscribe. */
  onDead(listener: (verdict: DeathVerdict) => void): () => void {
    if (this.verdict) {
      listener(this.verdict);
      return () => {};
    }
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.listeners.clear();
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.probe(), ms);
    this.timer.unref();
  }

  private async probe(): Promise<void> {
    if (this.stopped || this.closedAt === undefined) return;
    const at = Date.now();
    try {
      await this.check();
      // The GPU answers: the socket drop was a blip; the socket reconnects by itself.
      this.failingSince = undefined;
    } catch (error) {
      this.failingSince ??= at;
      this.lastFailure = (error as Error).message;
    }
    if (this.closedAt === undefined) return; // reopened meanwhile
    if (
      !this.verdict &&
      this.failingSince !== undefined &&
      Date.now() - this.failingSince >= this.options.deadAfterMs
    ) {
      const seconds = ((Date.now() - this.failingSince) / 1000).toFixed(1);
      // The attendee reads `why`; the raw failure (URLs, errno) goes to the operator's log only.
      this.verdict = {
        since: this.closedAt,
        why: `its connection closed and it has not answered for ${seconds} s`,
      };
      this.logger.warn(
        { gpu: this.name, why: this.verdict.why, lastFailure: this.lastFailure },
        'direct GPU dead',
      );
      for (const listener of [...this.listeners]) listener(this.verdict);
      this.listeners.clear();
    }
    this.schedule(this.options.pollMs);
  }
}
