/**
 * @fileoverview Whether the Redis holding the jobs keeps them: its persistence (`CONFIG GET
 * appendonly` / `save`), checked at start and after every reconnect, and a workshop marker key that
 * tells a Redis that lost its data (restarted without persistence, flushed, replaced) from one that
 * merely went away. A relay on a Redis without persistence would promise "nothing accepted is lost"
 * and then lose every queued job on a Redis restart, so it refuses to start unless the operator
 * says the data may be volatile (REDIS_VOLATILE_OK=1).
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** `aof`: appendonly yes (loses at most ~1 s with appendfsync everysec); `rdb`: snapshots only; `unknown`: CONFIG refused (managed services). */
export type PersistenceMode = 'aof' | 'rdb' | 'none' | 'unknown';

export type Persistence = { mode: PersistenceMode; detail: string };

export type DataLoss = { detectedAt: number; message: string };

export type DurabilityStatus = { persistence?: PersistenceMode; dataLost?: DataLoss };

/** The relay refuses to start on a Redis that keeps nothing across a restart. */
export class VolatileRedisError extends Error {
  constructor(detail: string) {
    super(
      `Redis has no persistence (${detail}): a Redis restart would lose every queued and running job. ` +
        'Turn on AOF (redis-server --appendonly yes, or `CONFIG SET appendonly yes` then `CONFIG REWRITE`), ' +
        'or set REDIS_VOLATILE_OK=1 to run anyway, knowing jobs are lost when Redis restarts.',
    );
    this.name = 'VolatileRedisError';
  }
}

const configValue = (reply: unknown): string | undefined =>
  Array.isArray(reply) && typeof reply[1] === 'string' ? reply[1] : undefined;

/** Reads Redis's persistence settings; `unknown` when CONFIG is refused (renamed/ACL'd on managed services). Throws when Redis is unreachable. */
export async function readPersistence(redis: Redis): Promise<Persistence> {
  let appendonly: string | undefined;
  let save: string | undefined;
  try {
    appendonly = configValue(await redis.config('GET', 'appendonly'));
    save = configValue(await redis.config('GET', 'save'));
  } catch (error) {
    if (error instanceof Error && error.name === 'ReplyError')
      return { mode: 'unknown', detail: `CONFIG GET was refused: ${error.message}` };
    throw error;
  }
  if (appendonly === 'yes') return { mode: 'aof', detail: 'appendonly yes' };
  if (save && save.trim() !== '') return { mode: 'rdb', detail: `snapshots only (save "${save}")` };
  return { mode: 'none', detail: 'appendonly no and save ""' };
}

type MarkerValue = { createdAt: number; relayId: string };

export type RedisDurabilityOptions = {
  redis: Redis;
  markerKey: string;
  relayId: string;
  volatileOk: boolean;
  logger: Logger;
  /** How often the marker is checked besides each reconnect (a FLUSHALL does not drop the connection). */
  checkMs?: number;
};

export class RedisDurability {
  private marker: string | undefined;
  private persistence: PersistenceMode | undefined;
  private dataLost: DataLoss | undefined;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private readonly onReady = () => void this.check('reconnect');

  constructor(private readonly options: RedisDurabilityOptions) {}

  /**
   * At start, with Redis reachable: refuses a Redis without persistence (unless volatileOk) and
   * places or reads the marker. With Redis unreachable the same check runs when it connects.
   */
  async start(): Promise<void> {
    const { redis, logger } = this.options;
    if (redis.status === 'ready') {
      const persistence = await readPersistence(redis).catch(() => undefined);
      if (persistence) this.judge(persistence, 'start');
      await this.checkMarker().catch((error: Error) =>
        logger.warn(
          { err: error.message },
          'could not read the workshop marker in Redis; checked again on reconnect',
        ),
      );
    }
    redis.on('ready', this.onReady);
    this.timer = setInterval(() => void this.check('periodic'), this.options.checkMs ?? 10_000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.options.redis.off('ready', this.onReady);
  }

  status(): DurabilityStatus {
    return { persistence: this.persistence, dataLost: this.dataLost };
  }

  /** Coalesced: a reconnect and a periodic tick at once read Redis once. Never rejects. */
  check(why: 'reconnect' | 'periodic'): Promise<void> {
    this.checking ??= (async () => {
      try {
        if (why === 'reconnect') this.judgeQuietly(await readPersistence(this.options.redis));
        await this.checkMarker();
      } catch (error) {
        this.options.logger.debug(
          { err: (error as Error).message, why },
          'redis durability check failed; retried later',
        );
      }
    })().finally(() => (this.checking = undefined));
    return this.checking;
  }

  /** After a reconnect a relay already serving keeps serving: a Redis without persistence is logged (by judge), not fatal. */
  private judgeQuietly(persistence: Persistence): void {
    try {
      this.judge(persistence, 'reconnect');
    } catch (error) {
      if (!(error instanceof VolatileRedisError)) throw error;
    }
  }

  /** Logs what the persistence means; at start, throws on none unless volatileOk. */
  private judge(persistence: Persistence, when: 'start' | 'reconnect'): void {
    const { logger, volatileOk } = this.options;
    const changed = this.persistence !== persistence.mode;
    this.persistence = persistence.mode;
    if (persistence.mode === 'aof') {
      if (changed) logger.info({ persistence: persistence.detail }, 'redis persistence: AOF');
      return;
    }
    if (persistence.mode === 'unknown') {
      if (changed)
        logger.warn(
          { detail: persistence.detail },
          'could not check Redis persistence (CONFIG is refused, as on managed services); make sure the service keeps data across restarts (AOF)',
        );
      return;
    }
    if (persistence.mode === 'rdb') {
      if (changed)
        logger.warn(
          { persistence: persistence.detail },
          'redis keeps snapshots only: a crash loses the jobs accepted since the last snapshot; turn on AOF (--appendonly yes)',
        );
      return;
    }
    const error = new VolatileRedisError(persistence.detail);
    if (volatileOk) {
      if (changed)
        logger.warn(
          { persistence: persistence.detail },
          'redis has no persistence; running anyway because REDIS_VOLATILE_OK=1 (a Redis restart loses every job)',
        );
      return;
    }
    if (when === 'start') throw error;
    if (changed)
      logger.error(
        { persistence: persistence.detail },
        `${error.message} (seen after a reconnect; the relay keeps serving)`,
      );
    throw error;
  }

  /** Places the marker on a Redis that has none; a marker that vanished or changed since we read it means Redis lost its data. */
  private async checkMarker(): Promise<void> {
    const { redis, markerKey, relayId, logger } = this.options;
    const current = await redis.get(markerKey);
    if (current !== null && current === this.marker) return;
    if (current === null) {
      const value: MarkerValue = { createdAt: Date.now(), relayId };
      await redis.set(markerKey, JSON.stringify(value), 'NX');
    }
    const now = await redis.get(markerKey);
    if (this.marker !== undefined && !this.dataLost) {
      const message =
        'Redis lost its data (the workshop marker key is gone or was replaced): jobs queued or running before that are gone and answer 404. ' +
        'Redis was probably restarted without persistence, flushed or replaced; turn on AOF (--appendonly yes) and ask attendees to queue their prompts again.';
      this.dataLost = { detectedAt: Date.now(), message };
      logger.error({ markerKey, was: this.marker, now }, message);
    }
    this.marker = now ?? undefined;
  }
}
