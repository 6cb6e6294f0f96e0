/**
 * @fileoverview The relay's pull workers: accepts their sockets at `/api/worker/socket` (worker
 * tokens only, kit/worker-token.ts; revoked ones refused and disconnected), reads their messages
 * (protocol/src/relay/worker.ts, each checked), and keeps one WorkerBackend per worker name in the
 * relay's live backend list, so the scheduler routes to a worker the moment it says hello. Picks the
 * least busy live worker with a job's nodes when one is moved.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  WORKER_PROTOCOL,
  workerPaths,
  WorkerToRelay,
  type RelayToWorker,
} from '../../../../protocol/src/index';
import { bearer } from '../../../../kit/user-token';
import { verifyWorkerToken, type WorkerPrincipal } from '../../../../kit/worker-token';
import type { Backend, RunnableJob } from '../backend';
import { workerRef } from './worker-attempt';
import { WorkerBackend, type WorkerPeers } from './worker-backend';
import { WorkerConnection } from './worker-connection';
import type { WorkerStaging } from './worker-staging';

export type WorkerFleetOptions = {
  relaySecret: string;
  /** Why a valid worker token is refused (revoked), else undefined. */
  refusal: (principal: WorkerPrincipal) => string | undefined;
  leaseMs: number;
  maxMoves: number;
  staging: WorkerStaging;
  /** The relay's live backend list: a new worker is added to it. */
  backends: Backend[];
  /**
   * The backendRef of a job that has not ended (`<worker>#<attempt>` while a worker runs it), or
   * null when it ended or is unknown: a worker holding it otherwise is told to drop it;
   * undefined when that cannot be said (no ref recorded yet): the worker keeps it.
   */
  recordedRef: (jobId: string) => Promise<string | undefined | null>;
  /** A worker joined or came back: dispatch now. */
  onReady: () => void;
  logger: Logger;
  pingMs?: number;
};

const HELLO_TIMEOUT_MS = 10_000;

export class WorkerFleet implements WorkerPeers {
  private readonly workers = new Map<string, WorkerBackend>();
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 256 * 1024 * 1024 });
  private readonly sockets = new Map<WebSocket, WorkerPrincipal>();

  constructor(private readonly options: WorkerFleetOptions) {}

  /** The backend of worker `name`, made (down until it connects) when the relay did not know it yet. */
  get(name: string): WorkerBackend {
    let backend = this.workers.get(name);
    if (!backend) {
      backend = new WorkerBackend({
        worker: name,
        leaseMs: this.options.leaseMs,
        maxMoves: this.options.maxMoves,
        staging: this.options.staging,
        peers: this,
        logger: this.options.logger,
      });
      this.workers.set(name, backend);
      this.options.backends.push(backend);
    }
    return backend;
  }

  /** `worker:<name>` → its backend (a job taken over from a relay that had that worker). */
  resolve(backendName: string): WorkerBackend | undefined {
    const match = /^worker:([A-Za-z0-9_-]{1,64})$/.exec(backendName);
    return match ? this.get(match[1]!) : undefined;
  }

  pick(job: RunnableJob, except?: WorkerBackend): WorkerBackend | undefined {
    return [...this.workers.values()]
      .filter((w) => w !== except && w.live() && w.canRun(job))
      .sort((a, b) => a.load() - b.load())[0];
  }

  list(): ReturnType<WorkerBackend['describe']>[] {
    return [...this.workers.values()].map((w) => w.describe());
  }

  /** Takes the upgrade if it is for the worker socket (true); answers 401 for a bad token. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    if ((req.url ?? '').split('?')[0] !== workerPaths.socket) return false;
    const token = bearer(req.headers.authorization);
    const principal = token ? verifyWorkerToken(token, this.options.relaySecret) : undefined;
    const refused = principal
      ? this.options.refusal(principal)
      : token
        ? 'not a valid worker token (comfyume token --worker <name> prints one; user tokens are refused here)'
        : 'send Authorization: Bearer <worker token>';
    if (!principal || refused) {
      this.options.logger.warn({ why: refused }, 'worker socket refused');
      const body = JSON.stringify({ error: { code: 'unauthorized', message: refused } });
      socket.end(
        `HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
      return true;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, principal));
    return true;
  }

  /** Close the sockets of workers whose tokens are refused now (after a revocation). */
  disconnectRefused(): number {
    let closed = 0;
    for (const [ws, principal] of this.sockets) {
      if (!this.options.refusal(principal)) continue;
      ws.close(4001, 'token revoked');
      closed++;
    }
    return closed;
  }

  private accept(ws: WebSocket, principal: WorkerPrincipal): void {
    const name = principal.worker;
    const log = this.options.logger.child({ worker: name });
    const conn = new WorkerConnection(name, ws, log, this.options.pingMs ?? 2_000);
    this.sockets.set(ws, principal);
    let backend: WorkerBackend | undefined;
    const helloTimer = setTimeout(() => conn.close(4002, 'no hello'), HELLO_TIMEOUT_MS);
    ws.on('message', (raw, isBinary) => {
      if (isBinary) return;
      let parsed;
      try {
        parsed = WorkerToRelay.safeParse(JSON.parse(raw.toString()));
      } catch {
        parsed = undefined;
      }
      if (!parsed?.success) {
        log.warn('a worker message that is not the worker protocol was ignored');
        return;
      }
      const message = parsed.data;
      if (message.type === 'hello') {
        clearTimeout(helloTimer);
        if (message.protocol !== WORKER_PROTOCOL) return conn.close(4003, 'protocol version');
        backend = this.get(name);
        backend.attach(conn, message);
        for (const held of message.holding)
          if (!backend.holds(held.jobId, held.attempt)) this.dropIfStale(conn, held);
        log.info(
          {
            capacity: message.capacity,
            nodes: message.nodes.length,
            holding: message.holding.length,
          },
          'worker connected',
        );
        this.send(conn, { type: 'welcome', worker: name, leaseMs: this.options.leaseMs });
        this.options.onReady();
      } else if (message.type === 'read_result') {
        conn.answered(message.id, message.status, message.body);
      } else if (!backend || !backend.onJobMessage(message)) {
        // Not a job this relay runs on it now: refused; dropped if Redis says it is not the worker's.
        if (message.type === 'job') this.dropIfStale(conn, message);
      }
    });
    ws.on('close', () => {
      clearTimeout(helloTimer);
      this.sockets.delete(ws);
      backend?.detach(conn);
      log.info('worker disconnected');
      this.options.onReady(); // capacity changed: the scheduler's slots follow
    });
    ws.on('error', (error) => log.debug({ err: error.message }, 'worker socket error'));
  }

  /**
   * A worker holds (or reports on) a job this relay does not run on it: unless the job's record
   * names this worker and attempt (a relay that takes the job over will ask for it), it is told
   * to drop it. Asked once per job attempt and connection.
   */
  private dropIfStale(conn: WorkerConnection, held: { jobId: string; attempt: number }): void {
    const key = `${held.jobId}#${held.attempt}`;
    if (conn.judged.has(key)) return;
    conn.judged.add(key);
    this.options.recordedRef(held.jobId).then(
      (ref) => {
        // undefined: the record names no worker yet (or there is no store to ask): left alone.
        if (ref === undefined || ref === workerRef(conn.worker, held.attempt)) return;
        this.options.logger.warn(
          { worker: conn.worker, jobId: held.jobId, attempt: held.attempt },
          'a worker holds a job that is no longer its own: told to drop it',
        );
        conn.send({ type: 'drop', jobId: held.jobId, reason: 'the job is not yours' });
      },
      () => conn.judged.delete(key), // Redis away: judged again on its next message
    );
  }

  private send(conn: WorkerConnection, message: RelayToWorker): void {
    conn.send(message);
  }

  /** The WorkerBackend serving jobs for `worker` now, if any. */
  backendOf(worker: string): WorkerBackend | undefined {
    return this.workers.get(worker);
  }

  async close(): Promise<void> {
    await Promise.all([...this.workers.values()].map((w) => w.close()));
    for (const ws of this.sockets.keys()) ws.terminate();
    this.wss.close();
  }
}
