/**
 * @fileoverview Relay tokens. A user token is `<userId>.<base64url HMAC-SHA256(RELAY_SECRET, userId)>`,
 * so the relay needs no token table; the admin token is ADMIN_TOKEN. Comparisons are timing-safe.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const USER_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export type Principal = { kind: 'user'; userId: string } | { kind: 'admin' };

export function mintUserToken(secret: string, userId: string): string {
  if (!USER_ID_PATTERN.test(userId)) throw new Error(`user id "${userId}" must be 1-64 of A-Z a-z 0-9 _ -`);
  return `${userId}.${createHmac('sha256', secret).update(userId).digest('base64url')}`;
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The principal a bearer token stands for, or undefined when it is not valid. */
export function verifyToken(token: string, secret: string, adminToken: string): Principal | undefined {
  if (safeEqual(token, adminToken)) return { kind: 'admin' };
  const dot = token.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const userId = token.slice(0, dot);
  if (!USER_ID_PATTERN.test(userId)) return undefined;
  return safeEqual(token, mintUserToken(secret, userId)) ? { kind: 'user', userId } : undefined;
}

/** `Authorization: Bearer <token>` → token (also accepts a bare token for CLI convenience). */
export function bearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
