/**
 * @fileoverview A relay-owned WebSocket to one ComfyUI, reconnecting forever. It connects with
 * `?clientId=<sid>` (the client_id our prompts carry, so ComfyUI sends their events here), sends
 * `feature_flags` with supports_preview_metadata first (so previews come as type 4, tagged with
 * their prompt_id), and routes text and preview frames to the job whose prompt_id they carry.
 * It pings the GPU (aiohttp and ws answer pings by themselves): a socket that stays silent past
 * PONG_TIMEOUT_MS is closed, so a frozen or cut-off GPU gets its health checked like a closed one.
 */
import type { Logger } from 'pino';
import WebSocket from 'ws';
import { decodeBinaryFrame, type PreviewMetadata } from '../../../../protocol/src/index';
import { reconnectBackoff } from '../../../../kit/reconnect-backoff';

export type SocketEvent =
  | { kind: 'message'; type: string; data: Record<string, unknown> }
  | { kind: 'preview'; meta: PreviewMetadata; image: Buffer };

type Listener = (event: SocketEvent) => void;

const PING_MS = 2_000;
/** No pong (nor any frame) for this long: the connection is treated as closed (well above an event-loop stall of a busy relay; a false alarm only costs a reconnect, the health check decides). */
const PONG_TIMEOUT_MS = 8_000;

export class ComfySocket {
  private ws: WebSocket | undefined;
  private readonly listeners = new Map<string, Listener>();
  private closed = false;
  private readonly backoff = reconnectBackoff(250, 2_000);
  private openedOnce = false;
  connected = false;
  /** Called on every (re)connect, so jobs can re-check history for anything missed meanwhile. */
  onReconnect: (() => void) | undefined;
  /** Called on every open and every close (a failed connect included): the GPU's health follows it. */
  onOpen: (() => void) | undefined;
  onClose: (() => void) | undefined;

  constructor(
    private readonly baseUrl: string,
    readonly sid: string,
    private readonly logger: Logger,
  ) {
    this.connect();
  }

  private connect(): void {
    if (this.closed) return;
    const url = `${this.baseUrl.replace(/^http/, 'ws')}/ws?clientId=${encodeURIComponent(this.sid)}`;
    const ws = new WebSocket(url, { perMessageDeflate: false });
    this.ws = ws;
    let heardAt = Date.now();
    const pinger = setInterval(() => {
      if (ws.readyState !== WebSocket.OPEN) return;
      if (Date.now() - heardAt > PONG_TIMEOUT_MS) ws.terminate();
      else ws.ping();
    }, PING_MS);
    pinger.unref();
    ws.on('pong', () => (heardAt = Date.now()));
    ws.on('open', () => {
      heardAt = Date.now();
      ws.send(JSON.stringify({ type: 'feature_flags', data: { supports_preview_metadata: true } }));
      this.connected = true;
      this.backoff.reset();
      this.onOpen?.();
      if (this.openedOnce) this.onReconnect?.();
      this.openedOnce = true;
    });
    ws.on('message', (raw: Buffer, isBinary: boolean) => {
      heardAt = Date.now();
      this.dispatch(raw, isBinary);
    });
    ws.on('error', (error) =>
      this.logger.debug({ url: this.baseUrl, err: error.message }, 'GPU socket error'),
    );
    ws.on('close', () => {
      clearInterval(pinger);
      this.connected = false;
      if (this.closed) return;
      this.onClose?.();
      setTimeout(() => this.connect(), this.backoff.next()).unref();
    });
  }

  private dispatch(raw: Buffer, isBinary: boolean): void {
    if (isBinary) {
      const frame = decodeBinaryFrame(raw);
      if (frame.kind !== 'preview_with_metadata') return;
      const listener = this.listeners.get(String(frame.meta.prompt_id));
      listener?.({ kind: 'preview', meta: frame.meta, image: Buffer.from(frame.image) });
      return;
    }
    let message: { type?: unknown; data?: unknown };
    try {
      message = JSON.parse(raw.toString()) as { type?: unknown; data?: unknown };
    } catch {
      return;
    }
    if (typeof message.type !== 'string' || !message.data || typeof message.data !== 'object')
      return;
    const data = message.data as Record<string, unknown>;
    if (typeof data.prompt_id !== 'string') return; // status, feature_flags, the reconnect `executing`
    this.listeners.get(data.prompt_id)?.({ kind: 'message', type: message.type, data });
  }

  subscribe(promptId: string, listener: Listener): () => void {
    this.listeners.set(promptId, listener);
    return () => {
      if (this.listeners.get(promptId) === listener) this.listeners.delete(promptId);
    };
  }

  get idle(): boolean {
    return this.listeners.size === 0;
  }

  close(): void {
    this.closed = true;
    this.ws?.terminate();
  }
}
