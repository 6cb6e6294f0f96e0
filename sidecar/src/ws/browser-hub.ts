/**
 * @fileoverview Browser WebSockets (`/ws`): each browser socket gets its own upstream socket to the
 * local ComfyUI with the same clientId, so the local sid equals the browser's. Local frames are
 * forwarded (status rewritten to count this user's remote jobs too); the relay's job messages are
 * delivered to the sockets of the tab that queued the job. Pings keep idle sockets open through
 * nginx; under back-pressure previews are dropped, state frames never (ws README recipes).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { BinaryEventType, toLegacyPreview } from '../../../protocol/src/comfy/ws-binary';
import { pyJsonDumps } from '../../../protocol/src/comfy/py-format';
import type { Logger } from '../logger';

export type HubOptions = {
  comfyUrl: string;
  pingMs: number;
  previewBufferBytes: number;
  logger: Logger;
  /** This user's remote jobs still queued or running (added to the local queue_remaining). */
  remoteRemaining: () => number;
  /** Called once per socket after its first status frame went out (sid known). */
  onReady: (session: Session) => void;
};

export type Session = {
  readonly clientId: string | undefined;
  readonly supportsPreviewMetadata: boolean;
  sendText(text: string): void;
};

type SessionState = Session & {
  clientId: string | undefined;
  supportsPreviewMetadata: boolean;
  browser: WebSocket;
  upstream: WebSocket;
  ready: boolean;
  firstClientFrame: boolean;
  alive: boolean;
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
  return type === 'progress' || type === 'progress_state' || type === 'execution_interrupted' || type === 'preview'
    ? 'all'
    : 'none';
}

/** Binary types 1 and 4 are previews (droppable); type 3 (progress text) is state. */
const isPreviewFrame = (frame: Uint8Array) => {
  if (frame.length < 4) return false;
  const type = new DataView(frame.buffer, frame.byteOffset, 4).getUint32(0, false);
  return type === BinaryEventType.PREVIEW_IMAGE || type === BinaryEventType.PREVIEW_IMAGE_WITH_METADATA;
};

export function createBrowserHub(options: HubOptions) {
  const { logger } = options;
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const sessions = new Set<SessionState>();
  let localRemaining = 0;

  const statusText = (extra?: Record<string, unknown>) =>
    pyJsonDumps({
      type: 'status',
      data: { status: { exec_info: { queue_remaining: localRemaining + options.remoteRemaining() } }, ...extra },
    });

  const heartbeat = setInterval(() => {
    for (const session of sessions) {
      if (!session.alive) {
        session.browser.terminate();
        continue;
      }
      session.alive = false;
      session.browser.ping();
    }
  }, options.pingMs);
  heartbeat.unref();

  function attach(browser: WebSocket, requestedClientId: string | undefined) {
    const upstreamUrl = new URL(`${options.comfyUrl.replace(/^http/, 'ws')}/ws`);
    if (requestedClientId) upstreamUrl.searchParams.set('clientId', requestedClientId);
    const upstream = new WebSocket(upstreamUrl, { perMessageDeflate: false });
    const pendingToUpstream: { data: RawData; isBinary: boolean }[] = [];

    const session: SessionState = {
      clientId: requestedClientId,
      supportsPreviewMetadata: false,
      browser,
      upstream,
      ready: false,
      firstClientFrame: true,
      alive: true,
      backlog: [],
      sendText(text) {
        if (!session.ready) {
          session.backlog.push(() => session.sendText(text));
          return;
        }
        if (browser.readyState === WebSocket.OPEN) browser.send(text);
      },
      sendBinary(frame, droppable) {
        if (browser.readyState !== WebSocket.OPEN) return;
        if (droppable && browser.bufferedAmount > options.previewBufferBytes) return; // shed previews only
        browser.send(frame, { binary: true });
      },
    };
    sessions.add(session);

    browser.on('pong', () => (session.alive = true));
    browser.on('error', (error) => logger.debug({ err: error }, 'browser socket error'));
    browser.on('message', (data, isBinary) => {
      if (!isBinary && session.firstClientFrame) {
        session.firstClientFrame = false;
        try {
          const first = JSON.parse(data.toString()) as { type?: string; data?: Record<string, unknown> };
          if (first.type === 'feature_flags') session.supportsPreviewMetadata = first.data?.supports_preview_metadata === true;
        } catch {
          // ComfyUI ignores a first frame that is not JSON; so do we.
        }
      }
      if (upstream.readyState === WebSocket.OPEN) upstream.send(data, { binary: isBinary });
      else pendingToUpstream.push({ data, isBinary });
    });
    browser.on('close', () => {
      sessions.delete(session);
      if (upstream.readyState === WebSocket.OPEN || upstream.readyState === WebSocket.CONNECTING) upstream.terminate();
    });

    upstream.on('open', () => {
      for (const frame of pendingToUpstream.splice(0)) upstream.send(frame.data, { binary: frame.isBinary });
    });
    upstream.on('message', (data, isBinary) => {
      const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
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
        if (browser.readyState === WebSocket.OPEN) browser.send(text);
        return;
      }
      const remaining = (message.data.status as { exec_info?: { queue_remaining?: unknown } } | undefined)?.exec_info
        ?.queue_remaining;
      if (typeof remaining === 'number') localRemaining = remaining;
      const { status: _status, ...rest } = message.data;
      if (typeof rest.sid === 'string' && !session.clientId) session.clientId = rest.sid;
      if (browser.readyState === WebSocket.OPEN) browser.send(statusText(rest));
      if (!session.ready) {
        session.ready = true;
        options.onReady(session);
        for (const send of session.backlog.splice(0)) send();
      }
    });
    upstream.on('error', (error) => logger.warn({ err: error.message }, 'local ComfyUI socket error'));
    upstream.on('unexpected-response', (_req, res) => {
      logger.warn({ status: res.statusCode }, 'local ComfyUI refused the socket');
      res.resume();
    });
    upstream.on('close', () => {
      if (browser.readyState === WebSocket.OPEN) browser.close(1011, 'local ComfyUI closed the connection');
      else if (browser.readyState === WebSocket.CONNECTING) browser.terminate();
    });
  }

  const targets = (delivery: Delivery, clientId: string) =>
    [...sessions].filter((s) => delivery === 'all' || (delivery === 'client' && s.clientId === clientId));

  return {
    /** Completes a `/ws` upgrade (already routed and checked by the caller). */
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, clientId: string | undefined) {
      wss.handleUpgrade(req, socket, head, (browser) => attach(browser, clientId));
    },
    /** `status` to every socket that already has its sid, with the current queue_remaining. */
    broadcastStatus() {
      const text = statusText();
      for (const session of sessions) if (session.ready) session.sendText(text);
    },
    broadcastText(text: string) {
      for (const session of sessions) session.sendText(text);
    },
    deliverText(type: string, clientId: string, text: string) {
      for (const session of targets(deliveryFor(type, clientId), clientId)) session.sendText(text);
    },
    /** A type-4 preview from the relay: as is for clients that announced metadata support, else type 1. */
    deliverPreview(clientId: string, frame: Uint8Array) {
      let legacy: Uint8Array | null | undefined;
      for (const session of targets(deliveryFor('preview', clientId), clientId)) {
        if (!session.ready) continue;
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
        session.browser.terminate();
        session.upstream.terminate();
      }
      sessions.clear();
      wss.close();
    },
  };
}

export type BrowserHub = ReturnType<typeof createBrowserHub>;
