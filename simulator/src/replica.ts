/**
 * @fileoverview One simulated ComfyUI process: its own HTTP+WS server, queue, history, counter, caches and
 * a single worker (ComfyUI's prompt_worker loop), sharing the output/input folders with its siblings.
 */
import { dirname, join } from 'node:path';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { SimAgent, type AgentConfig } from './agent/agent';
import { attachAgent, comfyView } from './agent/attach';
import { SERVER_FEATURES, type ReplicaContext } from './context';
import { Executor } from './engine/executor';
import { PromptQueue } from './engine/queue';
import type { Gate } from './gate';
import { NodeRegistry } from './nodes/registry';
import { randomTempSuffix } from './nodes/save';
import type { Dirs } from './nodes/types';
import { AIOHTTP_500, MalformedJson, readBody, type Ctx } from './server/http-kit';
import { send } from '../../kit/aiohttp-reply';
import { buildRouter } from './server/routes';
import { serveStatic, type WebOptions } from './server/handlers/static';
import { WsHub } from './server/ws-hub';

export type ReplicaOptions = {
  index: number;
  host: string;
  /** 0 = any free port. */
  port: number;
  dirs: Dirs;
  stepMs: number;
  previewMethod: 'none' | 'auto';
  failNodeTypes: string[];
  /** Node classes left out of this ComfyUI (not installed here). */
  withoutNodeTypes?: string[];
  dropSocketsAfterMs?: number;
  gate: Gate;
  log: Logger;
  web?: WebOptions;
  models?: Record<string, string[]>;
  version?: string;
  /** Run the GPU agent in this replica (`simulate --agent`): journals, heartbeat, cancel markers. */
  agent?: AgentConfig;
};

export type SimulatorReplica = {
  index: number;
  url: string;
  port: number;
  context: ReplicaContext;
};

export async function startReplica(
  options: ReplicaOptions,
): Promise<{ replica: SimulatorReplica; close: () => Promise<void> }> {
  const log = options.log.child({ replica: options.index });
  // The queue's status broadcast needs the hub, and the hub's reconnect rule needs the executor.
  const late: { hub?: WsHub; executor?: Executor } = {};
  const queue = new PromptQueue(() =>
    late.hub?.send(
      'status',
      { status: { exec_info: { queue_remaining: queue.tasksRemaining() } } },
      null,
    ),
  );
  // PreviewImage objects live per node id while the node stays in consecutive prompts (ComfyUI's object cache).
  const previewSuffixes = new Map<string, string>();
  const registry = new NodeRegistry(
    options.dirs,
    (nodeId) => {
      let suffix = previewSuffixes.get(nodeId);
      if (!suffix) previewSuffixes.set(nodeId, (suffix = randomTempSuffix()));
      return suffix;
    },
    options.withoutNodeTypes,
  );
  const hub = new WsHub({
    queueInfo: () => ({ exec_info: { queue_remaining: queue.tasksRemaining() } }),
    serverFeatures: () => ({ ...SERVER_FEATURES }),
    lastNodeFor: (sid) => (late.executor?.clientId === sid ? late.executor.lastNodeId : undefined),
  });
  const executor = new Executor({
    hub,
    registry,
    dirs: options.dirs,
    stepMs: options.stepMs,
    previewMethod: options.previewMethod,
    failNodeTypes: new Set(options.failNodeTypes),
  });
  Object.assign(late, { hub, executor });
  let agent: SimAgent | undefined;
  if (options.agent) {
    agent = new SimAgent(options.agent, comfyView(queue, executor, '0.27.0'), log);
    attachAgent(agent, hub, queue);
    await agent.start(); // beating before the replica takes prompts
  }
  const context: ReplicaContext = {
    index: options.index,
    dirs: options.dirs,
    queue,
    executor,
    hub,
    registry,
    log,
    counter: { number: 0 },
    settings: new Map(),
    features: () => ({ ...SERVER_FEATURES }),
    web: options.web ?? {},
    models: options.models ?? {},
    version: options.version ?? '0.27.0',
    // ComfyUI's `user/` beside its `output/` (a ComfyUI install's layout, and `comfyume up`'s).
    userDir: join(dirname(options.dirs.output), 'user'),
  };
  const router = buildRouter(context);

  const server: Server = createServer((req, res) => void handle(req, res));
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    try {
      if (options.gate.refuseHttp(req, res)) return;
      const url = new URL(req.url ?? '/', 'http://localhost');
      const match = router.match(req.method ?? 'GET', url.pathname);
      if (match === 'method') return send(res, { status: 405, text: '405: Method Not Allowed' });
      let cached: Buffer | undefined;
      const body = async () => (cached ??= await readBody(req));
      const http: Ctx = {
        req,
        res,
        url,
        params: match === undefined ? {} : match.params,
        body,
        json: async () => {
          try {
            return JSON.parse((await body()).toString('utf8')) as unknown;
          } catch {
            throw new MalformedJson();
          }
        },
      };
      if (match === undefined) {
        const isRead = req.method === 'GET' || req.method === 'HEAD';
        const served = isRead ? await serveStatic(context.web, http) : undefined;
        return send(res, served ?? { status: 404, text: '404: Not Found' });
      }
      send(res, await match.handler(http));
    } catch (error) {
      if (!(error instanceof MalformedJson))
        log.error({ err: error, url: req.url }, 'handler failed');
      if (!res.headersSent) send(res, AIOHTTP_500);
      else res.destroy();
    }
  };

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (options.gate.refuseUpgrade(req, socket)) return;
    if (path !== '/ws' && path !== '/api/ws') {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      hub.accept(ws, req);
      if (options.dropSocketsAfterMs !== undefined) {
        const timer = setTimeout(() => ws.terminate(), options.dropSocketsAfterMs);
        ws.on('close', () => clearTimeout(timer));
      }
    });
  });

  // prompt_worker: one prompt at a time; history is written (task_done → status) before `executing null`.
  const stop = new AbortController();
  const worker = (async () => {
    while (!stop.signal.aborted) {
      const next = await queue.get(stop.signal);
      if (!next) break;
      const [, promptId, prompt, extraData, outputs] = next.item;
      let outcome;
      try {
        outcome = await executor.execute(prompt, promptId, extraData, outputs);
      } catch (error) {
        log.error({ err: error, promptId }, 'execution crashed');
        outcome = { success: false, messages: [], historyResult: { outputs: {}, meta: {} } };
      }
      queue.taskDone(next.id, outcome.historyResult, {
        status_str: outcome.success ? 'success' : 'error',
        completed: outcome.success,
        messages: outcome.messages,
      });
      if (executor.clientId !== null)
        hub.send('executing', { node: null, prompt_id: promptId }, executor.clientId);
    }
  })();

  await new Promise<void>((resolve) => server.listen(options.port, options.host, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const replica: SimulatorReplica = {
    index: options.index,
    port,
    url: `http://${options.host}:${port}`,
    context,
  };
  log.debug({ url: replica.url }, 'replica listening');

  return {
    replica,
    close: async () => {
      await agent?.stop();
      stop.abort();
      executor.interrupt();
      hub.dropAll();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await worker.catch(() => {});
    },
  };
}
