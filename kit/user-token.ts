/**
 * @fileoverview Relay tokens, verified without a token table (the relay holds only RELAY_SECRET):
 *  - `<userId>.<issuedAtMs>.<base64url HMAC-SHA256(RELAY_SECRET, "<userId>.<issuedAtMs>")>`: what
 *    `comfyume token` issues. The issue time lets the operator revoke one user's tokens
 *    (`comfyume token --revoke <user>`, token-revocations.ts): those issued before it are refused.
 *  - `<userId>.<base64url HMAC-SHA256(RELAY_SECRET, userId)>`: the original format, still accepted
 *    (workshop files generated before). It has no issue time, so a revocation of its user refuses it
 *    too; otherwise it works until RELAY_SECRET is rotated.
 * User ids cannot contain a dot, so the two formats never read as each other. The admin token is
 * ADMIN_TOKEN. Comparisons are timing-safe.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const USER_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const ISSUED_AT_PATTERN = /^[0-9]{1,16}$/;

/** `issuedAt` (ms since the epoch) is absent for tokens of the original format. */
export type Principal = { kind: 'user'; userId: string; issuedAt?: number } | { kind: 'admin' };

const mac = (secret: string, text: string) =>
  createHmac('sha256', secret).update(text).digest('base64url');

/** Throws (the message an operator reads) unless `userId` can be in a token: 1-64 of A-Z a-z 0-9 _ -. */
export function checkUserId(userId: string): void {
  if (!USER_ID_PATTERN.test(userId))
    throw new Error(`user id "${userId}" must be 1-64 of A-Z a-z 0-9 _ -`);
}

/** A user's token; with `issuedAt` (ms) the revocable format, without it the original one. */
export function mintUserToken(secret: string, userId: string, issuedAt?: number): string {
  checkUserId(userId);
  if (issuedAt === undefined) return `${userId}.${mac(secret, userId)}`;
  if (!Number.isSafeInteger(issuedAt) || issuedAt < 0)
    throw new Error(`issue time ${issuedAt} must be whole milliseconds since 1970`);
  const signed = `${userId}.${issuedAt}`;
  return `${signed}.${mac(secret, signed)}`;
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The principal a bearer token stands for, or undefined when it is not valid. */
export function verifyToken(
  token: string,
  secret: string,
  adminToken: string,
): Principal | undefined {
  if (safeEqual(token, adminToken)) return { kind: 'admin' };
  const parts = token.split('.');
  const userId = parts[0] ?? '';
  if (!USER_ID_PATTERN.test(userId)) return undefined;
  if (parts.length === 2)
    return safeEqual(token, mintUserToken(secret, userId)) ? { kind: 'user', userId } : undefined;
  if (parts.length !== 3 || !ISSUED_AT_PATTERN.test(parts[1]!)) return undefined;
  const issuedAt = Number(parts[1]);
  return safeEqual(token, mintUserToken(secret, userId, issuedAt))
    ? { kind: 'user', userId, issuedAt }
    : undefined;
}

/** `Authorization: Bearer <token>` → token (also accepts a bare token for CLI convenience). */
export function bearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/**
 * `verifyToken` remembering the valid tokens it has seen (at most `max`, all forgotten at once when
 * full): one HMAC per request is a measurable share of an admission burst. Revocations are for the
 * caller to check on every request, so a remembered token is still refused once revoked.
 */
export function tokenVerifier(
  secret: string,
  adminToken: string,
  max = 10_000,
): (token: string) => Principal | undefined {
  const valid = new Map<string, Principal>();
  return (token) => {
    const known = valid.get(token);
    if (known) return known;
    const principal = verifyToken(token, secret, adminToken);
    if (principal) {
      if (valid.size >= max) valid.clear();
      valid.set(token, Object.freeze(principal));
    }
    return principal;
  };
}
