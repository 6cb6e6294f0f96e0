/**
 * @fileoverview One attempt of a job on a replica with the agent, from the relay's side: its
 * journal is followed (journal-follow.ts) until the replica's own outcome, while the replica
 * holding it is watched through the heartbeats. A holder whose heartbeat stops (or that restarted)
 * before the attempt ended has died; the caller resubmits or fails, within seconds, never at the
 * job timeout. A cancel ends with the replica's confirmation, or after a grace.
 */
import type { RunContext } from '../../backend';
import type { RunResult } from '../../backend';
import type { AgentFleet } from './fleet';
import type { JournalFollow } from './journal-follow';

export type AttemptEnd =
  | { kind: 'result'; result: RunResult }
  /** The agent dequeued the pending job on our marker. */
  | { kind: 'dequeued' }
  /** Cancelled; the replica did not confirm within the grace. */
  | { kind: 'cancel_unconfirmed' }
  | { kind: 'timeout' }
  | { kind: 'died'; replica: string; why: string };

export type AttemptConfig = {
  pollMs: number;
  staleMs: number;
  cancelGraceMs: number;
  jobTimeoutMs: number;
};

export class AgentAttempt {
  private cancelAt = 0;
  private wake: () => void = () => {};
  private holder: { replica: string; startedAt?: number; since: number } | undefined;

  constructor(
    private readonly follow: JournalFollow,
    private readonly fleet: AgentFleet,
    private readonly jobId: string,
    private readonly attempt: number,
    private readonly ctx: RunContext,
    private readonly config: AttemptConfig,
  ) {}

  /** The replica holding this attempt, once known. */
  get replica(): string | undefined {
    return this.holder?.replica;
  }

  cancel(): void {
    if (!this.cancelAt) this.cancelAt = Date.now();
    this.wake();
  }

  async run(acceptedAt: number): Promise<AttemptEnd> {
    const unsubscribe = this.fleet.onChange(() => this.wake());
    try {
      for (;;) {
        if (this.ctx.signal.aborted && !this.cancelAt) {
          const reason: unknown = this.ctx.signal.reason;
          throw reason instanceof Error ? reason : new Error(`run stopped (${String(reason)})`);
        }
        await this.follow.step();
        const outcome = this.follow.outcome;
        if (outcome?.kind === 'ended') return { kind: 'result', result: outcome.result };
        if (outcome?.kind === 'dequeued') return { kind: 'dequeued' };
        const death = this.death();
        if (death) return death;
        const now = Date.now();
        if (this.cancelAt && now - this.cancelAt >= this.config.cancelGraceMs)
          return { kind: 'cancel_unconfirmed' };
        if (now >= acceptedAt + this.config.jobTimeoutMs) return { kind: 'timeout' };
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.config.pollMs);
          this.wake = () => (clearTimeout(timer), resolve());
        });
      }
    } finally {
      unsubscribe();
    }
  }

  /** The holder died: its heartbeat went stale, or it restarted (a new `startedAt`) under the same id. */
  private death(): AttemptEnd | undefined {
    if (!this.holder) {
      const replica = this.follow.replica ?? this.fleet.holderOf(this.jobId, this.attempt)?.replica;
      if (!replica) return undefined;
      this.holder = { replica, startedAt: this.fleet.startedAtOf(replica), since: Date.now() };
    }
    const { replica, startedAt, since } = this.holder;
    if (startedAt === undefined) {
      // Journaling but never seen beating (its heartbeat not visible yet): judge it once it is.
      this.holder.startedAt = this.fleet.startedAtOf(replica);
      if (this.holder.startedAt === undefined && Date.now() - since > this.config.staleMs)
        return {
          kind: 'died',
          replica,
          why: `it journals the job but no heartbeat of it was seen in ${Math.round(this.config.staleMs / 1000)} s`,
        };
      return undefined;
    }
    if (this.fleet.isLive(replica, startedAt)) return undefined;
    const restarted = this.fleet.startedAtOf(replica) !== startedAt;
    return {
      kind: 'died',
      replica,
      why: restarted
        ? 'it restarted'
        : `its heartbeat stopped (nothing for over ${Math.round(this.config.staleMs / 1000)} s)`,
    };
  }
}
