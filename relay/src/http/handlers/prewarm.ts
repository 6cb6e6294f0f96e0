/** @fileoverview The operator's warm-up routes: the prewarmer's status and Warm now (admin token only). */
import type { PrewarmStatus } from '../../../../protocol/src/relay/prewarm';
import { RelayError } from '../../errors';
import type { Handler, HandlerContext } from '../types';

export type PrewarmRoutesContext = {
  prewarm: { status(): PrewarmStatus; warmNow(): Promise<PrewarmStatus> };
};

/** Refuses an attendee's token: 403 naming what only the operator may do. */
export function operatorOnly(ctx: HandlerContext, what: string): void {
  if (ctx.principal.kind !== 'admin')
    throw new RelayError('forbidden', `${what} is for the operator: send the admin token`);
}

export const prewarmStatus: Handler<PrewarmRoutesContext> = async (ctx, services) => {
  operatorOnly(ctx, 'the warm-up schedule');
  return { status: 200, body: services.prewarm.status() };
};

export const warmNow: Handler<PrewarmRoutesContext> = async (ctx, services) => {
  operatorOnly(ctx, 'Warm now');
  return { status: 200, body: await services.prewarm.warmNow() };
};
