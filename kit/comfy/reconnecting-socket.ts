/**
 * @fileoverview A WebSocket to one ComfyUI that a relay owns for as long as it runs, reconnecting
 * forever (kit/reconnect-backoff.ts). It connects with `?clientId=<sid>` (the client_id our
 * prompts carry, so ComfyUI sends their events here), sends `feature_flags` with
 * supports_preview_metadata first (so previews come as type 4, tagged with their prompt_id), and
 * routes text and preview frames to the listener of the prompt_id they carry.
 * It pings the ComfyUI (kit/socket-liveness.ts; aiohttp and ws answer pings by themselves): a socket
 * silent for SILENT_TICKS pings (8 s) is closed, so a frozen or cut-off GPU gets its health checked
 * like a closed one.
 */
import type { Logger } from 'pino';
import WebSocket from 'ws';
import { reconnectBackoff } from '../reconnect-backoff';
import { keepAlive } from '../socket-liveness';
import { comfyWsUrl, readFrame, type ComfyFrame } from './socket';

type Listener = (frame: ComfyFrame) => void;

const PING_MS = 2_000;
/** No pong (nor any frame) for this many pings (8 s): the connection is treated as closed (well above an event-loop stall of a busy relay; a false alarm only costs a reconnect, the health check decides). */
const SILENT_TICKS = 4;

export class ReconnectingComfySocket {
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
    const ws = new WebSocket(comfyWsUrl(this.baseUrl, this.sid), { perMessageDeflate: false });
    this.ws = ws;
    keepAlive(ws, { pingMs: PING_MS, silentTicks: SILENT_TICKS });
    ws.on('open', () => {
      ws.send(JSON.stringify({ type: 'feature_flags', data: { supports_preview_metadata: true } }));
      this.connected = true;
      this.backoff.reset();
      this.onOpen?.();
      if (this.openedOnce) this.onReconnect?.();
      this.openedOnce = true;
    });
    ws.on('message', (raw, isBinary) => this.dispatch(readFrame(raw, isBinary)));
    ws.on('error', (error) =>
      this.logger.debug({ url: this.baseUrl, err: error.message }, 'GPU socket error'),
    );
    ws.on('close', () => {
      this.connected = false;
      if (this.closed) return;
      this.onClose?.();
      setTimeout(() => this.connect(), this.backoff.next()).unref();
    });
  }

  private dispatch(frame: ComfyFrame | undefined): void {
    if (!frame) return;
    const promptId = frame.kind === 'preview' ? String(frame.meta.prompt_id) : frame.data.prompt_id;
    // Text without a prompt_id: status, feature_flags, the reconnect `executing`.
    if (typeof promptId === 'string') this.listeners.get(promptId)?.(frame);
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
