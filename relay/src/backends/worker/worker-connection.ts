/**
 * @fileoverview One connected pull worker's socket, relay side: typed sends, the read requests
 * (`read` → `read_result`: the worker's ComfyUI's /object_info and listings) with their timeouts,
 * and the heartbeat (kit/socket-liveness.ts), so a worker cut off without a close is seen as gone.
 */
import type { Logger } from 'pino';
import WebSocket from 'ws';
import type { RelayToWorker } from '../../../../protocol/src/index';
import { keepAlive } from '../../../../kit/socket-liveness';
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

  constructor(
    readonly worker: string,
    private readonly ws: WebSocket,
    private readonly logger: Logger,
    pingMs: number,
  ) {
    keepAlive(ws, { pingMs, silentTicks: 3 });
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
