/**
 * @fileoverview Framework-free handler types: `(ctx, needs) → {status, body}` (or a file to send).
 * Each handler module declares the few things it needs as its own context type (bullmq's
 * `LockManagerWorkerContext`), so no handler depends on the whole relay; `routes.ts` joins them.
 */
import type { Principal } from '../../../kit/user-token';

export type HandlerContext = {
  principal: Principal;
  params: Record<string, string>;
  query: Record<string, string | undefined>;
  body: unknown;
};

export type HandlerResult =
  | { status: number; body?: unknown }
  | { status: number; file: string; headers: Record<string, string> };

/** A route handler using `Needs`, the narrow context its module declares. */
export type Handler<Needs> = (ctx: HandlerContext, needs: Needs) => Promise<HandlerResult>;
