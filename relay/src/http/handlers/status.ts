/** @fileoverview Queue status, health and the GPU's object_info (for the sidecar's prompt validation). */
import type { Health, QueueStatus } from '../../../../protocol/src/index';
import type { Backend } from '../../backends/backend';
import type { ObjectInfoCache } from '../../backends/object-info-cache';
import type { Config } from '../../config';
import type { JobStore } from '../../jobs/job-store';
import type { QueueInfo } from '../../scheduler/queue-info';
import type { DurabilityStatus } from '../../store/redis-durability';
import type { HandlerContext, Handler as HandlerOf } from '../types';

/** What the queue status needs: counts across relays, the backends, typical run time, Redis's state. */
export type QueueStatusContext = {
  store: Pick<JobStore, 'counts' | 'backendRunning'>;
  backends: readonly Pick<Backend, 'name' | 'kind' | 'state' | 'capacity' | 'activity'>[];
  queue: Pick<QueueInfo, 'typicalRunMs'>;
  /** Redis's persistence and whether it lost its data (store/redis-durability). */
  redisDurability(): DurabilityStatus;
};

/** What /health needs on top: whether Redis answers, and what this relay is. */
export type HealthContext = QueueStatusContext & {
  config: Pick<Config, 'inferenceMode'>;
  startedAt: number;
  version: string;
  redisUp(): Promise<boolean>;
};

/** What the GPU listing routes need: the GPU's /object_info, stale-while-revalidate. */
export type ObjectInfoContext = { objectInfo: Pick<ObjectInfoCache, 'get' | 'read'> };

/** This module's route handlers. */
type Handler = HandlerOf<QueueStatusContext & ObjectInfoContext>;

/** `admin`: with each pull worker's jobs and last-seen time (job ids are not for every user). */
async function backendStates(
  services: QueueStatusContext,
  admin = false,
): Promise<QueueStatus['backends']> {
  const running = await services.store.backendRunning().catch(() => ({}) as Record<string, number>);
  return services.backends.map((b) => ({
    name: b.name,
    kind: b.kind,
    state: b.state(),
    running: running[b.name] ?? 0,
    capacity: b.capacity(),
    ...(admin ? b.activity?.() : undefined),
  }));
}

export const queueStatus: Handler = async (ctx, services) => {
  const counts = await services.store.counts();
  const body: QueueStatus = {
    queued: counts.queued,
    running: counts.running,
    backends: await backendStates(services, ctx.principal.kind === 'admin'),
  };
  if (services.queue.typicalRunMs !== undefined) body.typicalRunMs = services.queue.typicalRunMs;
  if (ctx.principal.kind === 'admin') {
    body.byUser = counts.byUser;
    const lost = services.redisDurability().dataLost;
    if (lost) body.redisDataLost = lost;
  }
  return { status: 200, body };
};

export async function health(services: HealthContext): Promise<{ status: number; body: Health }> {
  const redisUp = await services.redisUp();
  const backends = await backendStates(services);
  const depth = redisUp
    ? await services.store.counts().then(
        (c) => c.queued,
        () => 0,
      )
    : 0;
  const ok = redisUp && backends.some((b) => b.state !== 'down');
  const body: Health = {
    ok,
    redis: redisUp ? 'up' : 'down',
    // Pull workers are backends of kind `pull`.
    inferenceMode:
      services.config.inferenceMode === 'workers' ? 'pull' : services.config.inferenceMode,
    backends,
    queueDepth: depth,
    uptimeS: Math.round((Date.now() - services.startedAt) / 1000),
    version: services.version,
  };
  const durability = services.redisDurability();
  if (durability.persistence) body.redisPersistence = durability.persistence;
  if (durability.dataLost) body.redisDataLost = durability.dataLost;
  return { status: ok ? 200 : 503, body };
}

/** `?fresh=1`: ask the GPU now (bounded), at most once per user per OBJECT_INFO_REFRESH_PER_USER_MS. */
const readOptions = (ctx: HandlerContext) => ({
  fresh: ctx.query.fresh === '1' || ctx.query.fresh === 'true',
  user: ctx.principal.kind === 'admin' ? 'admin' : ctx.principal.userId,
});

/** The GPU's node set, from the relay's stale-while-revalidate copy (backends/object-info-cache). */
export const objectInfo: Handler = async (ctx, services) => ({
  status: 200,
  body: await services.objectInfo.get(readOptions(ctx)),
});

/** `GET /api/gpu/<ComfyUI listing route>`: the GPU's models and embeddings, kept like object_info. */
export function gpuListing(route: string): Handler {
  return async (ctx, services) => {
    const path = ctx.params.folder === undefined ? route : `${route}/${ctx.params.folder}`;
    return { status: 200, body: await services.objectInfo.read(path, readOptions(ctx)) };
  };
}
