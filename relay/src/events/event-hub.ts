/**
 * @fileoverview `WS /api/events`: per-connection replay after `?since=<id>`, then live events
 * from this relay's tail of the all-users stream, filtered to the caller's user (admin: all).
 * Follows ws's README recipes: noServer + handleUpgrade with auth before the upgrade, ping/pong
 * heartbeat that terminates dead peers, and a bufferedAmount cap that drops binary previews
 * (never text: a lost state event would leave the browser wrong until the next one).
 */
import { keepAlive } from '../../../kit/socket-liveness';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import type { RelayEvent } from '../../../protocol/src/index';
import type { Principal } from '../../../kit/user-token';
import { compareStreamIds, STREAM_ID } from '../../../protocol/src/relay/stream-id';

export type HubOptions = {
  authenticate(req: IncomingMessage): Principal | undefined;
  replay(userId: string | undefined, since: string): Promise<RelayEvent[]>;
  logger: Logger;
  heartbeatMs?: number;
  /** Above this many buffered bytes a socket gets no previews until it drains. */
  maxBufferedBytes?: number;
};

type Client = {
  ws: WebSocket;
  principal: Principal;
  lastId: string | undefined;
  /** Live events held back while this client's replay is in flight. */
  pending: RelayEvent[] | undefined;
  /** `?previews=0`: a watcher (the admin dashboard) that wants state, not every user's images. */
  wantsPreviews: boolean;
};

export class EventHub {
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  private readonly clients = new Set<Client>();
  readonly stats = { droppedPreviews: 0 };

  constructor(private readonly options: HubOptions) {}

  /** Handles the upgrade when it is ours (`/api/events`); returns false to let others try. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://relay');
    if (url.pathname !== '/api/events') return false;
    const principal = this.options.authenticate(req);
    if (!principal) {
      refuse(
        socket,
        401,
        'unauthorized',
        'a valid relay token is required: Authorization: Bearer <token>',
      );
      return true;
    }
    const since = url.searchParams.get('since') ?? undefined;
    if (since !== undefined && since !== '' && !STREAM_ID.test(since)) {
      refuse(
        socket,
        400,
        'bad_request',
        `since="${since}" is not an event id (like 1712345678901-0)`,
      );
      return true;
    }
    const wantsPreviews = url.searchParams.get('previews') !== '0';
    this.wss.handleUpgrade(req, socket, head, (ws) =>
      this.accept(ws, principal, since || undefined, wantsPreviews).catch((error: Error) => {
        this.options.logger.warn({ err: error.message }, 'event socket setup failed');
        ws.close(
          1011,
          'the relay could not set up this event socket; reconnect with the same since',
        );
      }),
    );
    return true;
  }

  private async accept(
    ws: WebSocket,
    principal: Principal,
    since: string | undefined,
    wantsPreviews: boolean,
  ): Promise<void> {
    const client: Client = {
      ws,
      principal,
      lastId: since,
      pending: since ? [] : undefined,
      wantsPreviews,
    };
    this.clients.add(client);
    // A sidecar that stops answering is dropped (its close handler below forgets it).
    keepAlive(ws, { pingMs: this.options.heartbeatMs ?? 15_000 });
    ws.on('error', (error) =>
      this.options.logger.debug({ err: error.message }, 'event socket error'),
    );
    ws.on('close', () => this.clients.delete(client));
    ws.on('message', () => undefined); // clients have nothing to say; ignore
    if (!since) return;
    try {
      // Registered before the replay read, so anything appended meanwhile is in the replay or in `pending`.
      const events = await this.options.replay(
        principal.kind === 'user' ? principal.userId : undefined,
        since,
      );
      for (const event of events) this.sendText(client, event);
    } catch (error) {
      this.options.logger.warn({ err: (error as Error).message }, 'event replay failed');
      ws.close(
        1011,
        'replay failed: the relay cannot read its event log right now; reconnect with the same since',
      );
      return;
    }
    const held = client.pending ?? [];
    client.pending = undefined;
    for (const event of held) this.sendText(client, event);
  }

  private sees(client: Client, userId: string): boolean {
    return client.principal.kind === 'admin' || client.principal.userId === userId;
  }

  /** A new durable event from the tail. */
  publish(userId: string, event: RelayEvent): void {
    for (const client of this.clients) {
      if (!this.sees(client, userId)) continue;
      if (client.pending) client.pending.push(event);
      else this.sendText(client, event);
    }
  }

  private sendText(client: Client, event: RelayEvent): void {
    if (client.lastId !== undefined && compareStreamIds(event.id, client.lastId) <= 0) return;
    client.lastId = event.id;
    if (client.ws.readyState === client.ws.OPEN) client.ws.send(JSON.stringify(event));
  }

  /** A live workshop notice (protocol/src/relay/workshop.ts) for every attendee's socket: not stored, so no id. */
  announce(text: string): void {
    for (const client of this.clients) {
      if (client.principal.kind !== 'user' || client.ws.readyState !== client.ws.OPEN) continue;
      client.ws.send(text);
    }
  }

  /** A live binary preview (ComfyUI type-4 frame) for the user's sockets; dropped under back-pressure. */
  preview(userId: string, frame: Buffer): void {
    const cap = this.options.maxBufferedBytes ?? 2 * 1024 * 1024;
    for (const client of this.clients) {
      if (
        !client.wantsPreviews ||
        !this.sees(client, userId) ||
        client.ws.readyState !== client.ws.OPEN
      )
        continue;
      if (client.pending || client.ws.bufferedAmount > cap) {
        this.stats.droppedPreviews++;
        continue;
      }
      client.ws.send(frame, { binary: true });
    }
  }

  get size(): number {
    return this.clients.size;
  }

  /** Closes the sockets whose token is no longer accepted (a revocation), with code 4401 and why. */
  disconnect(refusal: (principal: Principal) => string | undefined): number {
    let closed = 0;
    for (const client of this.clients) {
      if (!refusal(client.principal)) continue;
      client.ws.close(4401, 'token revoked by the operator');
      this.clients.delete(client);
      closed++;
    }
    return closed;
  }

  async close(): Promise<void> {
    for (const client of this.clients) client.ws.close(1001, 'relay shutting down');
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    for (const client of this.clients) client.ws.terminate();
  }
}

function refuse(socket: Duplex, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: { code, message } });
  const reason = status === 401 ? 'Unauthorized' : 'Bad Request';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
