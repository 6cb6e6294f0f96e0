/**
 * @fileoverview Worker tokens: what `comfyume token --worker <name>` issues for a GPU box running
 * `comfyume worker`. `worker.<name>.<issuedAtMs>.<base64url HMAC-SHA256(RELAY_SECRET,
 * "worker:<name>.<issuedAtMs>")>`: four parts (a user token has two or three) and a MAC over another
 * text, so a worker token never reads as a user token nor the reverse: user endpoints refuse it
 * (user-token.ts) and worker endpoints refuse user and admin tokens. Revoked like a user's tokens
 * (token-revocations.ts), under the key `worker:<name>`, which no user id can be.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { WORKER_NAME_PATTERN } from '../protocol/src/index';

export type WorkerPrincipal = { kind: 'worker'; worker: string; issuedAt: number };

/** The revocation key of a worker's tokens (a user id cannot contain a colon). */
export const workerRevocationKey = (name: string) => `worker:${name}`;

const mac = (secret: string, text: string) =>
  createHmac('sha256', secret).update(text).digest('base64url');

/** Throws (the message an operator reads) unless `name` can name a worker: 1-64 of A-Z a-z 0-9 _ -. */
export function checkWorkerName(name: string): void {
  if (!WORKER_NAME_PATTERN.test(name))
    throw new Error(`worker name "${name}" must be 1-64 of A-Z a-z 0-9 _ -`);
}

export function mintWorkerToken(secret: string, name: string, issuedAt = Date.now()): string {
  checkWorkerName(name);
  const signed = `${name}.${issuedAt}`;
  return `worker.${signed}.${mac(secret, `worker:${signed}`)}`;
}

/** The worker a token stands for, or undefined when it is not a valid worker token. */
export function verifyWorkerToken(token: string, secret: string): WorkerPrincipal | undefined {
  const parts = token.split('.');
  if (parts.length !== 4 || parts[0] !== 'worker') return undefined;
  const [, name = '', issued = ''] = parts;
  if (!WORKER_NAME_PATTERN.test(name) || !/^[0-9]{1,16}$/.test(issued)) return undefined;
  const expected = Buffer.from(mintWorkerToken(secret, name, Number(issued)));
  const given = Buffer.from(token);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  return { kind: 'worker', worker: name, issuedAt: Number(issued) };
}
