/**
 * @fileoverview Browser WebSockets (`/ws`): each browser socket gets its own upstream socket to the
 * local ComfyUI with the same clientId, so the local sid equals the browser's. Local frames are
 * forwarded (status rewritten to count this user's remote jobs too); job messages go to the newest
 * socket of the tab that queued the job (a reconnect replaces the old socket, as in ComfyUI) and are
 * kept until the tab confirms them (client-outbox.ts); our `comfyume.*` messages go only to sockets
 * whose page said `comfyume.hello`. Pings keep idle sockets open through nginx and confirm delivery;
 * under back-pressure previews are dropped, state frames never (ws README recipes).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { BinaryEventType, toLegacyPreview } from '../../../protocol/src/comfy/ws-binary';
import { pyJsonDumps } from '../../../protocol/src/comfy/py-format';
import type { Logger } from '../logger';
import type { ClientOutbox } from './client-outbox';
import { readClientFrame } from './client-frames';

export type HubOptions = {
  comfyUrl: string;
  pingMs: number;
  previewBufferBytes: number;
  logger: Logger;
  outbox: ClientOutbox;
  /** This user's remote jobs still queued or running (added to the local queue_remaining). */
  remoteRemaining: () => number;
  /** Once per socket, after its first status frame went out (sid known): catch-up for a reconnecting tab. */
  onReady: (session: Session) => void;
  /** The page announced our extension (once per socket). */
  onHello: (session: Session) => void;
  /** The outbox changed (a message added or confirmed): persist it. */
  onOutboxChange: () => void;
  /** How soon after a job message a ping asks the tab to confirm it. */
  confirmAfterMs?: number;
};

export type Session = {
  readonly clientId: string | undefined;
  readonly supportsPreviewMetadata: boolean;
  readonly extension: boolean;
  sendText(text: string): void;
};

type SessionState = Session & {
  clientId: string | undefined;
  supportsPreviewMetadata: boolean;
  extension: boolean;
  browser: WebSocket;
  upstream: WebSocket;
  ready: boolean;
  /** Another socket of the same client id connected later: this one gets nothing more (ComfyUI drops it from its map). */
  superseded: boolean;
  flagsSeen: boolean;
  alive: boolean;
  /** The last outbox entry written to this socket, and the pending confirmation ping. */
  sentSeq: number;
  confirmTimer?: NodeJS.Timeout;
  backlog: (() => void)[];
  sendBinary(frame: Uint8Array, droppable: boolean): void;
};

export type Delivery = 'client' | 'all' | 'none';

/**
 * ComfyUI's targeting (comfyui-protocol.md §2.3): to the queuing tab when the prompt had a
 * client_id; without one, progress, progress_state, previews and interrupts go to everyone and
 * the rest to no one. (Every socket of this sidecar belongs to the same user.)
 */
export function deliveryFor(type: string, clientId: string): Delivery {
  if (clientId) return 'client';
  return type === 'progress' ||
    type === 'progress_state' ||
    type === 'execution_interrupted' ||
    type === 'preview'
    ? 'all'
    : 'none';
}

/** Binary types 1 and 4 are previews (droppable); type 3 (progress text) is state. */
const isPreviewFrame = (frame: Uint8Array) => {
  if (frame.length < 4) return false;
  const type = new DataView(frame.buffer, frame.byteOffset, 4).getUint32(0, false);
  return (
    type === BinaryEventType.PREVIEW_IMAGE || type === BinaryEventType.PREVIEW_IMAGE_WITH_METADATA
  );
};

const toBuffer = (data: RawData) =>
  Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);

export function createBrowserHub(options: HubOptions) {
  const { logger, outbox } = options;
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const sessions = new Set<SessionState>();
  const confirmAfterMs = options.confirmAfterMs ?? 250;
  let localRemaining = 0;

  const statusText = (remote: number, extra?: Record<string, unknown>) =>
    pyJsonDumps({
      type: 'status',
      data: { status: { exec_info: { queue_remaining: localRemaining + remote } }, ...extra },
    });

  /** A ping whose pong confirms everything written to the socket before it. */
  const pingToConfirm = (session: SessionState) => {
    if (session.browser.readyState !== WebSocket.OPEN) return;
    session.browser.ping(Buffer.from(String(session.sentSeq)));
  };

  const heartbeat = setInterval(() => {
    for (const session of sessions) {
      if (!session.alive) {
        session.browser.terminate();
        continue;
      }
      session.alive = false;
      pingToConfirm(session);
    }
  }, options.pingMs);
  heartbeat.unref();

  /** The socket that gets a client's job messages: its newest ready one. */
  const current = (clientId: string) =>
    [...sessions].reverse().find((s) => s.ready && !s.superseded && s.clientId === clientId);

  /** Writes an outbox entry to the socket (`text` undefined: it was already sent) and asks for a confirmation soon. */
  function sendEntry(session: SessionState, seq: number, text: string | undefined) {
    if (session.browser.readyState !== WebSocket.OPEN) return;
    if (text !== undefined) session.browser.send(text);
    session.sentSeq = Math.max(session.sentSeq, seq);
    session.confirmTimer ??= setTimeout(() => {
      session.confirmTimer = undefined;
      pingToConfirm(session);
    }, confirmAfterMs);
  }

  function becomeReady(session: SessionState) {
    session.ready = true;
    for (const other of sessions)
      if (other !== session && other.clientId && other.clientId === session.clientId)
        other.superseded = true;
    options.onReady(session);
    for (const send of session.backlog.splice(0)) send();
    if (!session.clientId) return;
    // What this client id was sent (by an earlier socket, or before a restart) and never confirmed.
    for (const entry of outbox.unconfirmed(session.clientId)) {
      sendEntry(
        session,
        entry.seq,
        entry.type === 'status' ? statusText(options.remoteRemaining()) : entry.text,
      );
    }
  }

  function attach(browser: WebSocket, requestedClientId: string | undefined) {
    const upstreamUrl = new URL(`${options.comfyUrl.replace(/^http/, 'ws')}/ws`);
    if (requestedClientId) upstreamUrl.searchParams.set('clientId', requestedClientId);
    const upstream = new WebSocket(upstreamUrl, { perMessageDeflate: false });
    const pendingToUpstream: { data: RawData; isBinary: boolean }[] = [];

    const session: SessionState = {
      clientId: requestedClientId,
      supportsPreviewMetadata: false,
      extension: false,
      browser,
      upstream,
      ready: false,
      superseded: false,
      flagsSeen: false,
      alive: true,
      sentSeq: 0,
      backlog: [],
      sendText(text) {
        if (!session.ready) {
          session.backlog.push(() => session.sendText(text));
          return;
        }
        if (browser.readyState === WebSocket.OPEN && !session.superseded) browser.send(text);
      },
      sendBinary(frame, droppable) {
        if (browser.readyState !== WebSocket.OPEN || session.superseded) return;
        if (droppable && browser.bufferedAmount > options.previewBufferBytes) return; // shed previews only
        browser.send(frame, { binary: true });
      },
    };
    sessions.add(session);

    browser.on('pong', (data) => {
      session.alive = true;
      const seq = Number(data.toString());
      if (session.clientId && Number.isInteger(seq) && seq > 0) {
        outbox.confirm(session.clientId, seq, Date.now());
        options.onOutboxChange();
      }
    });
    browser.on('error', (error) => logger.debug({ err: error }, 'browser socket error'));
    browser.on('message', (data, isBinary) => {
      const frame = isBinary ? undefined : readClientFrame(toBuffer(data));
      if (frame?.kind === 'ours') {
        if (frame.hello && !session.extension) {
          session.extension = true;
          options.onHello(session);
        } else if (!frame.hello)
          logger.debug(
            { reason: frame.reason },
            'ignored a comfyume frame that is not a valid hello; the socket stays stock',
          );
        return; // never forwarded: ComfyUI would take a second flags frame as the page's flags
      }
      if (frame && !session.flagsSeen) {
        session.flagsSeen = true;
        session.supportsPreviewMetadata = frame.supportsPreviewMetadata;
      }
      if (upstream.readyState === WebSocket.OPEN) upstream.send(data, { binary: isBinary });
      else pendingToUpstream.push({ data, isBinary });
    });
    browser.on('close', () => {
      sessions.delete(session);
      if (session.confirmTimer) clearTimeout(session.confirmTimer);
      if (upstream.readyState === WebSocket.OPEN || upstream.readyState === WebSocket.CONNECTING)
        upstream.terminate();
    });

    upstream.on('open', () => {
      for (const frame of pendingToUpstream.splice(0))
        upstream.send(frame.data, { binary: frame.isBinary });
    });
    upstream.on('message', (data, isBinary) => {
      const bytes = toBuffer(data);
      if (isBinary) {
        session.sendBinary(bytes, isPreviewFrame(bytes));
        return;
      }
      const text = bytes.toString('utf8');
      let message: { type?: unknown; data?: Record<string, unknown> } | undefined;
      try {
        message = JSON.parse(text) as typeof message;
      } catch {
        message = undefined;
      }
      if (message?.type !== 'status' || !message.data) {
        if (browser.readyState === WebSocket.OPEN && !session.superseded) browser.send(text);
        return;
      }
      const remaining = (
        message.data.status as { exec_info?: { queue_remaining?: unknown } } | undefined
      )?.exec_info?.queue_remaining;
      if (typeof remaining === 'number') localRemaining = remaining;
      const { status: _status, ...rest } = message.data;
      if (typeof rest.sid === 'string' && !session.clientId) session.clientId = rest.sid;
      if (browser.readyState === WebSocket.OPEN && !session.superseded)
        browser.send(statusText(options.remoteRemaining(), rest));
      if (!session.ready) becomeReady(session);
    });
    upstream.on('error', (error) =>
      logger.warn({ err: error.message }, 'local ComfyUI socket error'),
    );
    upstream.on('unexpected-response', (_req, res) => {
      logger.warn({ status: res.statusCode }, 'local ComfyUI refused the socket');
      res.resume();
    });
    upstream.on('close', () => {
      if (browser.readyState === WebSocket.OPEN)
        browser.close(1011, 'local ComfyUI closed the connection');
      else if (browser.readyState === WebSocket.CONNECTING) browser.terminate();
    });
  }

  return {
    /** Completes a `/ws` upgrade (already routed and checked by the caller). */
    handleUpgrade(
      req: IncomingMessage,
      socket: Duplex,
      head: Buffer,
      clientId: string | undefined,
    ) {
      wss.handleUpgrade(req, socket, head, (browser) => attach(browser, clientId));
    },
    /** ComfyUI's `status` broadcast, with `remote` of this user's jobs counted in. */
    broadcastStatus(remote: number) {
      const text = statusText(remote);
      for (const session of sessions) if (session.ready) session.sendText(text);
      // Among unconfirmed job messages it keeps its place for a replay; a live socket just got it.
      for (const clientId of outbox.addStatus(Date.now())) {
        const session = current(clientId);
        if (session) sendEntry(session, outbox.latest, undefined);
      }
      options.onOutboxChange();
    },
    /** One of our `comfyume.*` messages, to the sockets whose page runs our extension. */
    broadcastExtension(text: string) {
      for (const session of sessions) if (session.extension) session.sendText(text);
    },
    /**
     * A job message for its tab (kept until the tab confirms it), or — for a prompt queued without a
     * client id — to everyone or no one, as ComfyUI targets it.
     */
    deliverJobMessage(
      clientId: string,
      jobId: string,
      message: { type: string; data: Record<string, unknown> },
      text: string,
    ) {
      if (!clientId) {
        if (deliveryFor(message.type, clientId) === 'all')
          for (const session of sessions) if (session.ready) session.sendText(text);
        return;
      }
      const seq = outbox.add(clientId, jobId, message, text, Date.now());
      options.onOutboxChange();
      const session = current(clientId);
      if (session) sendEntry(session, seq, text);
    },
    /** A type-4 preview from the relay: as is for clients that announced metadata support, else type 1. */
    deliverPreview(clientId: string, frame: Uint8Array) {
      let legacy: Uint8Array | null | undefined;
      const targets = clientId
        ? [current(clientId)].filter((s): s is SessionState => !!s)
        : [...sessions].filter((s) => s.ready);
      for (const session of targets) {
        if (session.supportsPreviewMetadata) session.sendBinary(frame, true);
        else if ((legacy ??= toLegacyPreview(frame))) session.sendBinary(legacy, true);
      }
    },
    get size() {
      return sessions.size;
    },
    close() {
      clearInterval(heartbeat);
      for (const session of sessions) {
        if (session.confirmTimer) clearTimeout(session.confirmTimer);
        session.browser.terminate();
        session.upstream.terminate();
      }
      sessions.clear();
      wss.close();
    },
  };
}

export type BrowserHub = ReturnType<typeof createBrowserHub>;
