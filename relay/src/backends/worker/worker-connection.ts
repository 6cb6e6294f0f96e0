/**
 * @fileoverview One connected pull worker's socket, relay side: typed sends, the read requests
 * (`read` → `read_result`: the worker's ComfyUI's /object_info and listings) with their timeouts,
 * and the heartbeat (kit/socket-liveness.ts), so a worker cut off without a close is seen as gone,
 * while one whose upload keeps arriving counts as alive (on a slow link its pongs queue behind it).
 */
import type { Logger } from 'pino';
import WebSocket from 'ws';
import type { RelayToWorker } from '../../../../protocol/src/index';
import { keepAlive, type Liveness } from '../../../../kit/socket-liveness';
import { RelayError } from '../../errors';

type Pending = {
  resolve: (answer: { status: number; body: unknown }) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
};

export class WorkerConnection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  readonly connectedAt = Date.now();
  /** Jobs (`<id>#<attempt>`) this worker held that were judged against Redis on this connection. */
  readonly judged = new Set<string>();
  /** When the worker was last heard from: a frame on its socket, or bytes of its uploads. */
  lastHeardAt = Date.now();
  private readonly liveness: Liveness;

  constructor(
    readonly worker: string,
    private readonly ws: WebSocket,
    private readonly logger: Logger,
    pingMs: number,
  ) {
    this.liveness = keepAlive(ws, { pingMs, silentTicks: 3 });
    const heard = () => (this.lastHeardAt = Date.now());
    ws.on('pong', heard);
    ws.on('ping', heard);
    ws.on('message', heard);
    ws.once('close', () => {
      for (const [id, p] of this.pending) {
        clearTimeout(p.timer);
        p.reject(new RelayError('backend_unavailable', `worker ${worker} disconnected`));
        this.pending.delete(id);
      }
    });
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Bytes of an upload from this worker arrived: as good as a pong. */
  heard(): void {
    this.lastHeardAt = Date.now();
    this.liveness.heard();
  }

  send(message: RelayToWorker): void {
    if (!this.open) return; // a closed worker gets its jobs again on reconnect (`run` with fromSeq)
    this.ws.send(JSON.stringify(message), (error) => {
      if (error) this.logger.debug({ worker: this.worker, err: error.message }, 'send failed');
    });
  }

  /** A GET on the worker's ComfyUI, answered through the socket. */
  request(path: string, timeoutMs = 30_000): Promise<{ status: number; body: unknown }> {
    if (!this.open)
      return Promise.reject(
        new RelayError('backend_unavailable', `worker ${this.worker} is not connected`),
      );
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new RelayError(
            'backend_unavailable',
            `worker ${this.worker} did not answer GET ${path} within ${Math.round(timeoutMs / 1000)} s`,
          ),
        );
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.send({ type: 'read', id, path });
    });
  }

  answered(id: number, status: number, body: unknown): void {
    const p = this.pending.get(id);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(id);
    p.resolve({ status, body });
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(code, reason);
    else this.ws.terminate();
  }
}
