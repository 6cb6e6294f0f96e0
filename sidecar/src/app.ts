/**
 * @fileoverview Composition root: builds the sidecar (state, relay client and event socket, output
 * store, WebSocket merge, HTTP routes, proxy) around one http.Server it does not start listening,
 * so tests and main.ts decide where it listens.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { isTerminal } from '../../protocol/src/relay/job';
import { createLocalComfy } from './comfy/local-comfy';
import { createLocalVersion } from './comfy/local-version';
import { createNodeSet } from './comfy/node-set';
import type { Config } from './config';
import { createCatalogRoutes } from './http/catalog-routes';
import { createJobControl } from './http/job-control';
import { createJobsRoutes } from './http/jobs-routes';
import { originRefused } from './http/origin';
import { createQueueRoutes } from './http/queue-routes';
import { createRouter, stripBasePath } from './http/router';
import { createGalleryRoutes } from './http/gallery-routes';
import { createViewFiles } from './http/view-files';
import { createViewSource } from './http/view-source';
import { createLogger, type Logger } from './logger';
import { createOutputStore } from './outputs/output-store';
import { createInputUploader } from './prompt/input-files';
import { createPromptRoute } from './prompt/prompt-route';
import { createRerunCache } from './prompt/rerun-cache';
import { createLocalProxy } from './proxy/proxy';
import { createGpuCatalog } from './relay/gpu-catalog';
import { createRelayClient } from './relay/relay-client';
import { watchRelayDataLoss } from './relay/relay-data-loss';
import { connectRelayEvents } from './relay/relay-events';
import { createPromptIds, withPromptIds } from './relay/prompt-ids';
import { createLiveJobs } from './state/live-jobs';
import { createQueueNumbers } from './state/queue-numbers';
import { openStateStore } from './state/state-store';
import { createWsMerge } from './ws/ws-merge';
import { createUserdataRoutes } from './workshop/userdata-routes';
import { noticeMessage } from './workshop/workshop-notices';

export type SidecarDeps = { logger?: Logger };

export type Sidecar = {
  server: Server;
  /** True while the relay event socket is connected. */
  readonly relayConnected: boolean;
  close(): Promise<void>;
};

export function createSidecar(config: Config, deps: SidecarDeps = {}): Sidecar {
  const logger = deps.logger ?? createLogger(config.logLevel, config.userId);
  const state = openStateStore(config.stateDir, logger.child({ mod: 'state' }));
  // Everything built on `relay` knows jobs by the names the client gave them (relay/prompt-ids.ts).
  const promptIds = createPromptIds(state);
  const relay = withPromptIds(
    createRelayClient({
      url: config.relayUrl,
      token: config.relayToken,
      timeoutMs: config.relayTimeoutMs,
    }),
    promptIds,
  );
  const local = createLocalComfy(config.comfyUrl, logger.child({ mod: 'local' }));
  /** The attendee's ComfyUI version (`localVersion.version()` / `.flavor()`): we answer as it would. */
  const localVersion = createLocalVersion(local, logger.child({ mod: 'local' }));
  void localVersion.refresh();
  const numbers = createQueueNumbers({ state, local, logger: logger.child({ mod: 'numbers' }) });
  void numbers.syncLocal({ full: true });
  const catalog = createGpuCatalog(relay, {
    ttlMs: config.objectInfoTtlMs,
    waitMs: config.gpuWaitMs,
    logger: logger.child({ mod: 'gpu' }),
  });
  const nodes = createNodeSet({
    catalog,
    local,
    ttlMs: config.objectInfoTtlMs,
    logger: logger.child({ mod: 'gpu' }),
  });
  const outputs = createOutputStore({
    relay,
    outputDir: config.outputDir,
    tempDir: config.tempDir,
    state,
    logger: logger.child({ mod: 'outputs' }),
  });
  const ws = createWsMerge({
    comfyUrl: config.comfyUrl,
    comfyVersion: config.comfyVersion,
    detectedVersion: () => localVersion.version(),
    stateDir: config.stateDir,
    pingMs: config.wsPingMs,
    previewBufferBytes: config.previewBufferBytes,
    outputs,
    logger,
    legacyLastEventId: state.lastEventId,
  });
  const { hub, pipeline, book } = ws;
  /** This user's relay jobs, kept from the event stream: the queue, history and jobs answers. */
  const live = createLiveJobs(relay);

  const dataLoss = watchRelayDataLoss({
    relay,
    activeJobs: () => book.activeJobs(),
    everyMs: config.relayHealthMs,
    logger: logger.child({ mod: 'data-loss' }),
    onDataLoss: (lost) => {
      ws.relayDataLost(lost);
      // What the relay still has is all it will list: the panels follow it.
      live.resync().catch(() => live.disconnected());
    },
    onJobsLost: (jobs, message) => {
      live.forget(jobs.map((job) => job.id));
      return pipeline.lost(jobs, message);
    },
  });

  const events = connectRelayEvents(
    {
      url: config.relayUrl,
      token: config.relayToken,
      since: () => ws.lastEventId,
      pingMs: config.wsPingMs,
      logger: logger.child({ mod: 'relay-events' }),
      promptIds,
    },
    {
      onEvent: (event) => {
        if (event.type === 'job') live.apply(event.job);
        void pipeline.onRelayEvent(event);
      },
      onPreview: (frame) => void pipeline.onRelayPreview(frame),
      onWorkshop: (notice) => hub.broadcastExtension(JSON.stringify(noticeMessage(notice))),
      onConnection: (connected, reason) => {
        logger.info(
          { connected, reason },
          connected ? 'relay events connected' : 'relay events disconnected',
        );
        ws.relayConnection(connected);
        if (!connected) live.disconnected();
        if (connected) {
          // A relay that lost its data is seen before its (shorter) list replaces ours, and the jobs
          // the list no longer has are checked against that loss rather than dropped silently.
          dataLoss
            .check()
            .then(async () => {
              const mark = pipeline.mark();
              const jobs = await live.resync();
              const active = jobs.filter((job) => !isTerminal(job.state));
              return pipeline.seed(active, (gone) => dataLoss.suspect(gone), mark);
            })
            .catch((error: unknown) =>
              logger.warn(
                { err: error instanceof Error ? error.message : error },
                'could not list active jobs',
              ),
            );
        }
      },
    },
  );

  const control = createJobControl(relay, (id) => book.job(id));
  const view = createViewSource({
    live,
    local,
    state,
    outputs,
    numbers,
    logger,
  });
  const prompt = createPromptRoute({
    relay,
    nodes,
    uploadInputs: createInputUploader(relay),
    numbers,
    rerun: createRerunCache({
      relay,
      state,
      dirs: { output: config.outputDir, temp: config.tempDir },
    }),
    flavor: () => localVersion.settled(),
    submitted: (job) => {
      live.submitted(job);
      return pipeline.submitted(job);
    },
    dirs: { input: config.inputDir, output: config.outputDir, temp: config.tempDir },
    maxBodyBytes: config.maxBodyBytes,
    logger: logger.child({ mod: 'prompt' }),
  });
  const queue = createQueueRoutes({
    view,
    local,
    state,
    control,
    remoteRemaining: () => book.activeCount(),
    maxBodyBytes: config.maxBodyBytes,
  });
  const jobs = createJobsRoutes({
    view,
    local,
    control,
    flavor: () => localVersion.settled(),
    maxBodyBytes: config.maxBodyBytes,
  });
  const proxy = createLocalProxy(config.comfyUrl, logger.child({ mod: 'proxy' }));

  const handler = createRouter({
    basePath: config.basePath,
    proxy,
    viewFiles: createViewFiles({
      output: config.outputDir,
      temp: config.tempDir,
      input: config.inputDir,
    }),
    logger,
    catalog: createCatalogRoutes({ nodes, catalog, logger: logger.child({ mod: 'gpu' }) }),
    gallery: createGalleryRoutes(relay),
    userdata: createUserdataRoutes({ relay, local, logger: logger.child({ mod: 'workshop' }) }),
    routes: {
      postPrompt: prompt,
      getPrompt: queue.getPrompt,
      getQueue: queue.getQueue,
      postQueue: queue.postQueue,
      getHistory: queue.getHistory,
      getHistoryItem: queue.getHistoryItem,
      postHistory: queue.postHistory,
      postInterrupt: queue.postInterrupt,
      listJobs: jobs.list,
      jobDetail: jobs.detail,
      cancelJob: jobs.cancelOne,
      cancelJobs: jobs.cancelMany,
    },
  });

  const server = createServer(handler);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const stripped = stripBasePath(req.url ?? '/', config.basePath);
    if ('redirect' in stripped) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    req.url = stripped.url;
    const url = new URL(req.url, 'http://sidecar');
    if (url.pathname !== '/ws' && url.pathname !== '/api/ws') {
      proxy.upgrade(req, socket, head);
      return;
    }
    if (originRefused(req.headers)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    hub.handleUpgrade(req, socket, head, url.searchParams.get('clientId') || undefined);
  });

  return {
    server,
    get relayConnected() {
      return ws.relayConnected;
    },
    async close() {
      events.close();
      dataLoss.stop();
      await ws.close();
      await Promise.all([relay.close(), local.close(), state.close()]);
      proxy.close();
      server.closeAllConnections?.();
    },
  };
}
