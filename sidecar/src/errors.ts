/**
 * @fileoverview The sidecar's error class: a protocol ErrorCode plus the HTTP status it maps to.
 * Thrown inside; turned into a ComfyUI-shaped body only at the HTTP edge (http/reply.ts).
 */
import type { ErrorCode } from '../../protocol/src/errors';

export class SidecarError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly httpStatus: number,
    options?: { cause?: unknown; details?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
    this.details = options?.details;
  }
  readonly details: unknown;
}

/** The relay could not be reached (connection refused, timeout, 5xx after retries). */
export class RelayUnavailableError extends SidecarError {
  constructor(cause?: unknown) {
    super(
      'relay_unavailable',
      'The GPU queue service is unreachable; your ComfyUI still works — try again in a moment.',
      503,
      { cause },
    );
  }
}

/**
 * The relay is up but its job store (Redis) is not, for a moment: said so, so the attendee knows
 * to simply queue again (the relay's own message is for the operator).
 */
export class RelayStoreDownError extends SidecarError {
  constructor(cause?: unknown) {
    super(
      'redis_unavailable',
      'The GPU queue cannot store jobs for a moment (its database is restarting), so this prompt was not queued. ' +
        'Nothing queued before is lost; press Queue Prompt again in a few seconds.',
      503,
      { cause },
    );
  }
}

/** The relay answered with an error body of its own (quota, bad request, not found…). */
export class RelayRefusedError extends SidecarError {}
