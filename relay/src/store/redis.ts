/**
 * @fileoverview ioredis connections for the relay. Commands fail fast while Redis is down (no
 * offline queue), so an HTTP request answers 503 at once instead of hanging; the connection keeps
 * reconnecting in the background and the relay recovers by itself when Redis returns. The
 * commands connection auto-pipelines: what concurrent requests send in one event-loop turn goes
 * out in one socket write (a write is a system call, and a burst of admissions makes several each).
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RedisUnavailableError, RelayError } from '../errors';

/**
 * `offlineQueue` only for the pub/sub connection, whose SUBSCRIBE must wait for the connection
 * instead of failing; `autoPipeline` for connections that never block (not the event tail's XREAD).
 */
export function createRedis(
  url: string,
  logger: Logger,
  role: string,
  { offlineQueue = false, autoPipeline = false } = {},
): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: offlineQueue,
    enableAutoPipelining: autoPipeline,
    maxRetriesPerRequest: 1,
    lazyConnect: false,
    connectTimeout: 3_000,
    retryStrategy: (times) => Math.min(100 * times, 500), // a Redis that returns is used within half a second
  });
  let down = false;
  redis.on('error', (error: Error) => {
    if (!down) logger.warn({ role, err: error.message }, 'redis connection error; retrying');
    down = true;
  });
  redis.on('ready', () => {
    if (down) logger.info({ role }, 'redis connection restored');
    down = false;
  });
  return redis;
}

/** A Redis call's failure as the relay reports it: a Lua/reply error is a bug, anything else means Redis is unreachable. */
export function redisFailure(error: unknown): RelayError {
  if (error instanceof RelayError) return error;
  if (error instanceof Error && error.name === 'ReplyError') {
    return new RelayError('internal', `redis refused a command: ${error.message}`, {
      cause: error,
    });
  }
  return new RedisUnavailableError(error);
}

/**
 * Whether an error thrown by an ioredis call means "Redis is not reachable" (a command refused
 * while the connection is down or lost mid-flight), as opposed to a bug or a Redis reply error.
 */
export function isRedisConnectionError(error: unknown): boolean {
  if (!(error instanceof Error) || error.name === 'ReplyError') return false;
  if (error.name === 'MaxRetriesPerRequestError') return true;
  return /Stream isn't writeable|Connection is closed|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|connect ETIMEDOUT/.test(
    error.message,
  );
}

export async function guard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw redisFailure(error);
  }
}

/** Resolves when the connection is ready, or after `ms` (Redis may be down: the relay still starts and recovers later). */
export function waitReady(redis: Redis, ms: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      resolve(false);
    }, ms);
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    redis.once('ready', onReady);
  });
}
