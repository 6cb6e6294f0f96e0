/**
 * @fileoverview `WS /api/events` for the dashboard: authenticates with the token subprotocol
 * (protocol/src/relay/ws-token.ts), resumes after the last event id it saw, reconnects with capped backoff, and
 * ignores binary preview frames (an admin socket receives every user's previews).
 */
import { tokenProtocols } from '../../../protocol/src/relay/ws-token';

export type EventSocketHandlers = {
  open(): void;
  text(data: string): void;
  /** The socket closed; `retryInMs` until the next attempt. */
  closed(info: { code: number; reason: string; retryInMs: number }): void;
};

export type EventSocketOptions = {
  baseUrl: string;
  token: string;
  /** The last event id applied, read at every (re)connect. */
  since: () => string | undefined;
  handlers: EventSocketHandlers;
  minDelayMs?: number;
  maxDelayMs?: number;
};

export class EventSocket {
  private ws: WebSocket | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private attempt = 0;
  private stopped = false;

  constructor(private readonly options: EventSocketOptions) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ws?.close(1000, 'dashboard closed');
    this.ws = undefined;
  }

  /** Reconnect now (e.g. the user pressed "retry" or the page became visible again). */
  reconnectNow(): void {
    if (this.stopped || (this.ws && this.ws.readyState <= WebSocket.OPEN)) return;
    clearTimeout(this.timer);
    this.connect();
  }

  private connect(): void {
    const url = new URL('api/events', this.options.baseUrl);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const since = this.options.since();
    if (since) url.searchParams.set('since', since);
    url.searchParams.set('previews', '0'); // a hint; the relay may ignore it
    let ws: WebSocket;
    try {
      ws = new WebSocket(url, tokenProtocols(this.options.token));
    } catch {
      this.retry(1006, 'could not open the event socket');
      return;
    }
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.options.handlers.open();
    };
    ws.onmessage = (message) => {
      if (typeof message.data === 'string') this.options.handlers.text(message.data);
    };
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      if (!this.stopped) this.retry(event.code, event.reason);
    };
  }

  private retry(code: number, reason: string): void {
    const min = this.options.minDelayMs ?? 1_000;
    const max = this.options.maxDelayMs ?? 30_000;
    // Jitter spreads a room full of dashboards (or tabs) after a relay restart.
    const delay = Math.min(max, min * 2 ** this.attempt) * (0.75 + Math.random() * 0.5);
    this.attempt++;
    this.options.handlers.closed({ code, reason, retryInMs: Math.round(delay) });
    this.timer = setTimeout(() => this.connect(), delay);
  }
}
