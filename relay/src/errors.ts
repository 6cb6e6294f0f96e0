/**
 * @fileoverview The relay's few typed errors. Thrown anywhere inside; turned into `ErrorBody`
 * JSON only at the HTTP edge (http/express-adapter.ts), so callers branch on `code`, never on text.
 */
import type { ErrorCode } from '../../protocol/src/index';

const statusByCode: Record<ErrorCode, number> = {
  bad_request: 400,
  invalid_json: 400,
  body_too_large: 413,
  too_deep: 400,
  too_many_nodes: 400,
  path_escape: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  user_queue_full: 429,
  user_running_limit: 429,
  prompt_invalid: 400,
  backend_unavailable: 502,
  relay_unavailable: 502,
  redis_unavailable: 503,
  timeout: 504,
  internal: 500,
};

export class RelayError extends Error {
  readonly code: ErrorCode;
  readonly httpStatus: number;
  readonly details?: unknown;
  /** Seconds a client should wait before retrying (sent as Retry-After), for refusals that pass by themselves. */
  readonly retryAfterS?: number;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; details?: unknown; retryAfterS?: number } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = this.constructor.name;
    this.code = code;
    this.httpStatus = statusByCode[code];
    this.details = options.details;
    this.retryAfterS = options.retryAfterS;
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/** What a refused client is told to wait while Redis is away: ioredis retries every second at most. */
export const REDIS_RETRY_AFTER_S = 3;

/** Redis could not be reached; the relay keeps running and recovers when it returns. */
export class RedisUnavailableError extends RelayError {
  constructor(cause?: unknown) {
    super(
      'redis_unavailable',
      'The relay cannot reach Redis (its job store), so it cannot accept or read jobs right now. ' +
        'Nothing already accepted is lost; retry in a few seconds, and if this persists check REDIS_URL and that Redis is running.',
      { cause, retryAfterS: REDIS_RETRY_AFTER_S },
    );
  }
}

/** The job's lease now belongs to another relay (ours expired): stop touching the job. */
export class LeaseLostError extends RelayError {
  constructor(jobId: string) {
    super('conflict', `job ${jobId} is now handled by another relay (this relay's lease expired)`);
  }
}

export const notFound = (what: string): RelayError =>
  new RelayError('not_found', `${what} was not found`);
