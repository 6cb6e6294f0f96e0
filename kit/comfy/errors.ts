/**
 * @fileoverview The one error a ComfyUI exchange fails with, so every caller (direct GPU,
 * serverless endpoint, CLI, bench) tells "the ComfyUI is not there or not ready" from a refusal
 * the same way, and knows whether resending could run a prompt twice.
 */

/**
 * A transport failure, a timeout or an unavailable status (the client's `unavailableStatus`):
 * the ComfyUI may or may not have the request. `retryable`: worth asking again while it starts
 * (a cold GPU); false once a retry budget is spent.
 */
export class ComfyUnavailable extends Error {
  constructor(
    message: string,
    readonly retryable = true,
    /** The request may have reached the ComfyUI (the answer was lost): resending could run it twice. */
    readonly maybeDelivered = true,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ComfyUnavailable';
  }
}

/** Failures before the request left this host: the ComfyUI cannot have it. */
const NOT_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** The first `code` on an error or its causes (fetch wraps the socket's error in `cause`). */
export function causeCode(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return '';
}

/** Whether a transport failure with this cause code may have delivered the request. */
export function maybeDelivered(code: string): boolean {
  return !NOT_SENT.has(code);
}
