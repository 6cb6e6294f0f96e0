/**
 * @fileoverview Composition root: Redis connections, store, event log + hub, bus, output/input
 * stores, backends, scheduler, the job service and the HTTP/WS server. The one place that knows
 * the concrete classes (the Redis job store behind the `JobStore` interface, Redis Streams behind
 * the event log) and hands each module the narrow context it declares. Builds everything without
 * listening, so tests and main.ts decide where it listens.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { isTerminal } from '../../protocol/src/index';
import { createAgentApi, replicasOf } from './admin/agent-api';
import { createAdminStatic } from './admin/serve';
import { adoptProtocolToken } from './admin/ws-token';
import { bearer, verifyToken } from '../../kit/user-token';
import type { Backend } from './backends/backend';
import { createBackends, type BackendSet } from './backends/factory';
import { ObjectInfoCache } from './backends/object-info-cache';
import { heartbeatMaxAge, SfsSweeper } from './backends/serverless/sfs-sweeper';
import { createWorkerFiles } from './backends/worker/worker-files';
import { WorkerFleet } from './backends/worker/worker-fleet';
import { WorkerStaging } from './backends/worker/worker-staging';
import type { Config } from './config';
import { Bus } from './events/bus';
import { EventHub } from './events/event-hub';
import { EventLog } from './events/event-log';
import { Publisher } from './events/publisher';
import { createExpressApp, type HttpContext } from './http/express-adapter';
import { InputStore } from './inputs/input-store';
import { JobService } from './jobs/job-service';
import type { JobStore } from './jobs/job-store';
import { createLogger } from './logger';
import { metricsAllowed } from './metrics/metrics-gate';
import { createRelayMetrics, type RelayMetrics } from './metrics/relay-metrics';
import { registerReplicaMetrics } from './metrics/replica-metrics';
import { registerPrewarmMetrics } from './metrics/prewarm-metrics';
import { registerWorkerMetrics } from './metrics/worker-metrics';
import { OutputStore } from './outputs/output-store';
import { Gallery } from './gallery/gallery';
import { RedisGalleryFlags } from './store/redis-gallery-flags';
import { Prewarmer, type WarmTarget } from './prewarm/prewarmer';
import { QueueInfo } from './scheduler/queue-info';
import { Scheduler } from './scheduler/scheduler';
import { createRedis, waitReady } from './store/redis';
import { revocationsKey, TokenRevocations } from '../../kit/token-revocations';
import { RedisDurability } from './store/redis-durability';
import { RedisEventStreams, RedisEventTail } from './store/redis-event-streams';
import { RedisJobStore } from './store/redis-job-store';
import { WorkflowLibrary } from './workshop/workflow-library';
import { WorkshopChannel } from './workshop/workshop-channel';

export type RelayDeps = {
  logger?: Logger;
  /** Injected backends (tests); otherwise built from config.inferenceMode. */
  backends?: BackendSet;
  relayId?: string;
  /** Heartbeat of the event sockets (ms); tests shorten it. */
  socketHeartbeatMs?: number;
  /** Where the built admin dashboard is (default dist/admin in the checkout). */
  adminDistDir?: string;
};

/** What the relay is built from, for tests and bench that reach past its HTTP API. */
export type RelayParts = {
  config: Config;
  store: JobStore;
  jobs: JobService;
  publisher: Publisher;
  backends: Backend[];
  outputs: OutputStore;
  /** The pull workers that connected (their backends are in `backends` too). */
  workers: WorkerFleet;
};

export type Relay = {
  server: Server;
  relayId: string;
  parts: RelayParts;
  hub: EventHub;
  metrics: RelayMetrics;
  start(): Promise<void>;
  close(): Promise<void>;
};

const version = (() => {
  try {
    return (
      JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
        version: string;
      }
    ).version;
  } catch {
    return '0.0.0';
  }
})();

export async function createRelay(config: Config, deps: RelayDeps = {}): Promise<Relay> {
  const logger = deps.logger ?? createLogger(config.logLevel);
  const relayId = deps.relayId ?? `relay-${randomUUID().slice(0, 8)}`;
  const log = logger.child({ relayId });
  const redis = createRedis(config.redisUrl, log, 'commands', { autoPipeline: true });
  const tailRedis = createRedis(config.redisUrl, log, 'event-tail');
  const subRedis = createRedis(config.redisUrl, log, 'pubsub', { offlineQueue: true });

  const store = new RedisJobStore(redis, config.redisPrefix, {
    leaseMs: config.leaseMs,
    maxQueuedPerUser: config.maxQueuedPerUser,
    maxRunningPerUser: config.maxRunningPerUser,
  });
  const durability = new RedisDurability({
    redis,
    markerKey: store.keys.marker,
    relayId,
    volatileOk: config.redisVolatileOk,
    logger: log.child({ mod: 'redis-durability' }),
    checkMs: Math.max(1_000, config.heartbeatMs * 2), // one GET every two heartbeats
  });
  const backendSet = deps.backends ?? (await createBackends(config, { logger: log }));
  const backends = backendSet.backends;
  const queue = new QueueInfo(store, () => backends.reduce((n, b) => n + b.capacity(), 0));

  const revocations = new TokenRevocations(
    redis,
    revocationsKey(config.redisPrefix),
    log.child({ mod: 'auth' }),
  );
  // Closures below refer to objects built a few lines later; they only run after start().
  const hub: EventHub = new EventHub({
    authenticate: (req) => {
      const token = bearer(req.headers.authorization);
      const principal = token
        ? verifyToken(token, config.relaySecret, config.adminToken)
        : undefined;
      return principal && !revocations.refusal(principal) ? principal : undefined;
    },
    replay: (userId, since) => eventLog.replay(userId, since),
    logger: log.child({ mod: 'events' }),
    heartbeatMs: deps.socketHeartbeatMs,
  });
  revocations.onChange(() => {
    const closed = hub.disconnect((principal) => revocations.refusal(principal));
    if (closed) log.info({ closed }, 'closed event sockets of revoked tokens');
    const workersClosed = workers.disconnectRefused();
    if (workersClosed) log.info({ workersClosed }, 'closed sockets of revoked workers');
  });
  // Pull workers (`comfyume worker`) join `backends` as they connect, in every inference mode.
  const staging = new WorkerStaging(config.workers.uploadDir);
  const workers = new WorkerFleet({
    relaySecret: config.relaySecret,
    refusal: (principal) => revocations.refusal(principal),
    leaseMs: config.workers.leaseMs,
    maxMoves: config.workers.maxMoves,
    staging,
    backends,
    onReady: () => scheduler.kick(),
    recordedRef: (jobId) =>
      store.get(jobId).then((job) => (job && !isTerminal(job.state) ? job.backendRef : null)),
    logger: log.child({ mod: 'workers' }),
  });
  const workerFiles = createWorkerFiles({
    fleet: workers,
    staging,
    relaySecret: config.relaySecret,
    refusal: (principal) => revocations.refusal(principal),
    logger: log.child({ mod: 'worker-files' }),
  });
  const eventLog = new EventLog(
    new RedisEventStreams(redis, store.keys, config.eventsMaxLen),
    new RedisEventTail(tailRedis, store.keys),
    log,
    (userId, event) => hub.publish(userId, event),
  );
  const publisher = new Publisher(store, eventLog, queue);
  const bus = new Bus(redis, subRedis, store.keys, log, relayId, {
    preview: (userId, frame) => hub.preview(userId, frame),
    control: (message) => {
      if (message.type === 'cancel') scheduler.cancelRequested(message.jobId);
      else scheduler.kick();
    },
  });
  const outputs = new OutputStore(config.outputDir, store);
  const inputs = new InputStore(config.inputDir);
  const metrics = createRelayMetrics({
    defaultLabels: { relay: relayId },
    perUserLabels: config.metricsPerUser,
  });
  metrics.observe.queueDepth(() => store.counts().then((c) => c.queued));
  metrics.observe.runningJobs(() => store.counts().then((c) => c.running));
  metrics.observe.backends(async () => {
    const running = await store.backendRunning();
    return backends.map((b) => ({
      name: b.name,
      state: b.state(),
      running: running[b.name] ?? 0,
      capacity: b.capacity(),
    }));
  });
  metrics.observe.eventSockets(() => hub.size);
  // Serverless only: job folders and old heartbeats on the shared output volume (SFS_RETENTION_H).
  const sfs = config.serverless;
  const sweeper =
    config.inferenceMode === 'serverless' && sfs.sfsOutputDir
      ? new SfsSweeper({
          outputDir: sfs.sfsOutputDir,
          retentionMs: sfs.sfsRetentionMs,
          intervalMs: sfs.sfsSweepIntervalMs,
          heartbeatMaxAgeMs: heartbeatMaxAge(sfs.agent.staleMs),
          jobs: (ids) => store.getMany(ids),
          logger: log.child({ mod: 'sfs-sweeper' }),
          registry: metrics.registry,
        })
      : undefined;
  const agentApi = createAgentApi({
    backends,
    relaySecret: config.relaySecret,
    adminToken: config.adminToken,
    logger: log.child({ mod: 'agent-api' }),
    sweep: {
      retentionMs: sfs.sfsRetentionMs,
      finishedAt: (jobId) =>
        store.get(jobId).then((job) => (job && isTerminal(job.state) ? job.finishedAt : undefined)),
    },
  });
  registerReplicaMetrics(metrics.registry, () => replicasOf(backends));
  registerWorkerMetrics(metrics.registry, () => workers.list());
  const warmTarget = backends.find((b): b is Backend & WarmTarget => 'warmUp' in b);
  const prewarm = new Prewarmer({
    config: config.prewarm,
    target: warmTarget,
    busy: () => store.backendRunning().then((r) => (r[warmTarget?.name ?? ''] ?? 0) > 0),
    observe: registerPrewarmMetrics(metrics.registry),
    logger: log.child({ mod: 'prewarm' }),
  });
  const scheduler: Scheduler = new Scheduler(
    {
      store,
      publisher,
      bus,
      outputs,
      inputs,
      owner: relayId,
      logger: log,
      observe: metrics.observe,
    },
    backends,
    publisher,
    queue,
    {
      heartbeatMs: config.heartbeatMs,
      jobTimeoutMs: config.jobTimeoutMs,
      resolveBackend: (name) => workers.resolve(name),
    },
  );

  const jobs = new JobService({
    store,
    scheduler,
    publisher,
    bus,
    inputs,
    outputs,
    maxNodes: config.maxNodes,
    observe: metrics.observe,
  });
  const workshop = new WorkflowLibrary({
    redis,
    keys: { published: store.keys.workshopWorkflows, default: store.keys.workshopDefault },
    folder: config.workshop.workflowsDir,
    defaultName: config.workshop.defaultWorkflow,
    logger: log.child({ mod: 'workshop' }),
  });
  const workshopChannel = new WorkshopChannel(
    redis,
    subRedis,
    store.keys.workshopChannel,
    log.child({ mod: 'workshop' }),
    (notice) => hub.announce(JSON.stringify(notice)),
  );
  const http: HttpContext = {
    workshop,
    announce: (notice) => workshopChannel.send(notice),
    config,
    jobs,
    store,
    queue,
    inputs,
    outputs,
    backends,
    objectInfo: new ObjectInfoCache({
      redis,
      key: store.keys.objectInfo,
      askedKey: store.keys.gpuAsked,
      userRefreshMs: config.objectInfoRefreshPerUserMs,
      backends,
      logger: log.child({ mod: 'object-info' }),
    }),
    prewarm,
    gallery: new Gallery({ store, outputs, flags: new RedisGalleryFlags(redis, store.keys) }),
    startedAt: Date.now(),
    version,
    revocations,
    redisDurability: () => durability.status(),
    redisUp: () =>
      Promise.race([
        redis.ping().then(
          () => true,
          () => false,
        ),
        new Promise<boolean>((r) => setTimeout(() => r(false), 1_000)),
      ]),
  };
  const api = createExpressApp(http, log);
  const admin = createAdminStatic(
    deps.adminDistDir ?? fileURLToPath(new URL('../../dist/admin', import.meta.url)),
  );
  const server = createServer((req, res) => {
    if (req.url === '/metrics' || req.url?.startsWith('/metrics?')) {
      if (
        metricsAllowed(req, res, {
          public: config.metricsPublic,
          relaySecret: config.relaySecret,
          adminToken: config.adminToken,
        })
      )
        void metrics.handler(req, res);
      return;
    }
    if (workerFiles(req, res)) return; // /api/worker/{inputs,outputs}/…: worker tokens only
    if (agentApi(req, res)) return; // /api/admin/replicas, /api/admin/jobs/:id/agent-log
    admin(req, res, () => api(req, res)); // /admin and /admin/* only; everything else is the API
  });
  server.on('upgrade', (req, socket, head) => {
    if (workers.handleUpgrade(req, socket, head)) return; // /api/worker/socket
    adoptProtocolToken(req); // the dashboard's browser socket carries its token as a subprotocol
    if (!hub.handleUpgrade(req, socket, head)) socket.destroy();
  });

  let started = false;
  return {
    server,
    relayId,
    parts: { config, store, jobs, publisher, backends, outputs, workers },
    hub,
    metrics,
    async start() {
      if (started) return;
      started = true;
      const ready = await Promise.all([redis, tailRedis, subRedis].map((r) => waitReady(r, 5_000)));
      if (!ready.every(Boolean))
        log.warn(
          { redisUrl: config.redisUrl },
          'redis is not reachable yet; the relay answers 503 until it is',
        );
      await durability.start(); // throws VolatileRedisError on a Redis without persistence (unless REDIS_VOLATILE_OK)
      await revocations.start();
      await workshop.loadFolder();
      eventLog.start();
      scheduler.start();
      sweeper?.start();
      prewarm.start();
      log.info(
        { mode: config.inferenceMode, backends: backends.map((b) => b.name) },
        'relay started',
      );
    },
    async close() {
      revocations.stop();
      durability.stop();
      await sweeper?.close();
      await prewarm.close();
      await scheduler.close();
      await hub.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await eventLog.stop();
      await workers.close();
      await backendSet.close();
      subRedis.disconnect();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
