/**
 * @fileoverview Per-user token revocation: `comfyume token --revoke <user>` writes the revocation
 * time into one Redis hash (`<prefix>tokens:revoked`: user id → ms); every relay re-reads that hash
 * every second and refuses that user's tokens issued before the time (auth.ts). A token of the
 * original format has no issue time, so it counts as issued before any revocation of its user.
 * The check is in memory (no Redis call per request); while Redis is unreachable the last list
 * read stays in force.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Principal } from './user-token';
import { workerRevocationKey, type WorkerPrincipal } from './worker-token';

export const revocationsKey = (prefix: string) => `${prefix}tokens:revoked`;

/** Records that `userId`'s tokens issued before `at` (ms) are refused from now on. */
export async function revokeUserTokens(
  redis: Redis,
  prefix: string,
  userId: string,
  at = Date.now(),
): Promise<number> {
  await redis.hset(revocationsKey(prefix), userId, String(at));
  return at;
}

export class TokenRevocations {
  private revokedAt = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private failing = false;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly logger: Logger,
    private readonly pollMs = 1_000,
  ) {}

  /** Re-reads the list; on a Redis failure keeps the last one (and says so once). */
  async refresh(): Promise<void> {
    try {
      const all = await this.redis.hgetall(this.key);
      const next = new Map<string, number>();
      for (const [userId, at] of Object.entries(all))
        if (Number.isFinite(Number(at))) next.set(userId, Number(at));
      const changed =
        next.size !== this.revokedAt.size ||
        [...next].some(([userId, at]) => this.revokedAt.get(userId) !== at);
      this.revokedAt = next;
      this.failing = false;
      if (changed) for (const listener of this.listeners) listener();
    } catch (error) {
      if (!this.failing)
        this.logger.warn(
          { err: error instanceof Error ? error.message : error },
          'token revocations not re-read (redis); the last list read stays in force',
        );
      this.failing = true;
    }
  }

  /** Called after a re-read that changed the list (e.g. to close the event sockets of revoked tokens). */
  onChange(listener: () => void): void {
    this.listeners.add(listener);
  }

  async start(): Promise<void> {
    if (this.timer) return;
    this.timer = setInterval(() => void this.refresh(), this.pollMs);
    this.timer.unref();
    await this.refresh();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Why a valid token is refused (its user's tokens were revoked after it was issued), else undefined. */
  refusal(principal: Principal | WorkerPrincipal): string | undefined {
    if (principal.kind === 'worker') {
      const at = this.revokedAt.get(workerRevocationKey(principal.worker));
      if (at === undefined || principal.issuedAt >= at) return undefined;
      return `this token of worker ${principal.worker} was revoked by the operator at ${new Date(at).toISOString()}; ask them for a new one (comfyume token --worker ${principal.worker})`;
    }
    if (principal.kind !== 'user') return undefined;
    const at = this.revokedAt.get(principal.userId);
    if (at === undefined || (principal.issuedAt !== undefined && principal.issuedAt >= at))
      return undefined;
    return `this token of ${principal.userId} was revoked by the operator at ${new Date(at).toISOString()}; ask them for a new one (comfyume token ${principal.userId})`;
  }
}
