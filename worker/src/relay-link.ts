/**
 * @fileoverview The worker's one connection to the relay: an outbound WebSocket to
 * `/api/worker/socket` with the worker token, reconnecting forever (kit/reconnect-backoff.ts),
 * pinging (kit/socket-liveness.ts) so a cut link is seen, saying hello on every open (capacity,
 * node set, the jobs it still runs), and handing each relay message, checked, to the worker.
 */
import type { Logger } from 'pino';
import WebSocket from 'ws';
import { RelayToWorker, workerPaths, type WorkerToRelay } from '../../protocol/src/index';
import { reconnectBackoff } from '../../kit/reconnect-backoff';
import { keepAlive } from '../../kit/socket-liveness';

export type RelayLinkOptions = {
  relayUrl: string;
  token: string;
  logger: Logger;
  /** The hello to send on each open (asked anew: its node set and jobs change). */
  hello: () => Promise<Extract<WorkerToRelay, { type: 'hello' }>>;
  onMessage: (message: RelayToWorker) => void;
  pingMs?: number;
};

export class RelayLink {
  private ws: WebSocket | undefined;
  private closed = false;
  private readonly backoff = reconnectBackoff(250, 5_000);
  /** The relay said welcome on the current socket. */
  ready = false;

  constructor(private readonly options: RelayLinkOptions) {}

  start(): void {
    this.connect();
  }

  private connect(): void {
    if (this.closed) return;
    const url = new URL(workerPaths.socket, this.options.relayUrl);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(url, {
      headers: { authorization: `Bearer ${this.options.token}` },
      perMessageDeflate: false,
      maxPayload: 256 * 1024 * 1024,
    });
    this.ws = ws;
    keepAlive(ws, { pingMs: this.options.pingMs ?? 2_000, silentTicks: 3 });
    ws.on('open', () => {
      this.backoff.reset();
      this.options
        .hello()
        .then((hello) => this.send(hello))
        .catch((error: Error) => {
          this.options.logger.warn({ err: error.message }, 'could not say hello; reconnecting');
          ws.terminate();
        });
    });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () =>
        this.options.logger.error(
          { status: res.statusCode, body: body.slice(0, 300) },
          'the relay refused this worker',
        ),
      );
    });
    ws.on('message', (raw, isBinary) => {
      if (isBinary) return;
      let message;
      try {
        message = RelayToWorker.safeParse(JSON.parse(raw.toString()));
      } catch {
        message = undefined;
      }
      if (!message?.success) {
        this.options.logger.warn('a relay message that is not the worker protocol was ignored');
        return;
      }
      if (message.data.type === 'welcome') {
        this.ready = true;
        this.options.logger.info({ worker: message.data.worker }, 'connected to the relay');
      }
      this.options.onMessage(message.data);
    });
    ws.on('error', (error) =>
      this.options.logger.debug({ err: error.message }, 'relay socket error'),
    );
    ws.on('close', (code) => {
      this.ready = false;
      if (this.closed) return;
      const wait = this.backoff.next();
      this.options.logger.info({ code, retryInMs: wait }, 'relay connection closed; reconnecting');
      setTimeout(() => this.connect(), wait).unref();
    });
  }

  /** Sent now if connected; a job's messages lost meanwhile are replayed when the relay sends `run` again. */
  send(message: WorkerToRelay): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  close(): void {
    this.closed = true;
    this.ws?.terminate();
  }
}
