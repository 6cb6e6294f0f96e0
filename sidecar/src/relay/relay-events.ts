/**
 * @fileoverview The sidecar's one WebSocket to the relay (`/api/events?since=<last id>`): parses
 * RelayEvent text frames and passes binary preview frames through, reconnecting by itself with
 * backoff and resuming after the last event id the caller has processed (nothing lost, nothing
 * repeated). A ping per interval detects a dead relay behind a silent connection.
 */
import { WebSocket, type RawData } from 'ws';
import { reconnectBackoff } from '../../../kit/reconnect-backoff';
import { keepAlive } from '../../../kit/socket-liveness';
import { RelayEvent } from '../../../protocol/src/relay/events';
import { WorkshopNotice } from '../../../protocol/src/relay/workshop';
import type { Logger } from '../logger';
import type { PromptIds } from './prompt-ids';

export type RelayEventsHandlers = {
  onEvent(event: RelayEvent): void;
  onPreview(frame: Uint8Array): void;
  /** A live workshop notice (published workflow, broadcast): not a stored event, no id. */
  onWorkshop?(notice: WorkshopNotice): void;
  /** Connection state changes (true after open, false after a close or failed attempt). */
  onConnection(connected: boolean, reason?: string): void;
};

export type RelayEventsOptions = {
  url: string;
  token: string;
  since: () => string | undefined;
  pingMs: number;
  logger: Logger;
  /** Client-chosen prompt ids: events and previews are passed on with the client's names. */
  promptIds?: PromptIds;
  minBackoffMs?: number;
  maxBackoffMs?: number;
};

export type RelayEvents = { readonly connected: boolean; close(): void };

const isWorkshop = (json: unknown) =>
  typeof json === 'object' && json !== null && (json as { type?: unknown }).type === 'workshop';

export function connectRelayEvents(
  options: RelayEventsOptions,
  handlers: RelayEventsHandlers,
): RelayEvents {
  const { logger } = options;
  const backoff = reconnectBackoff(options.minBackoffMs ?? 250, options.maxBackoffMs ?? 5_000);
  let socket: WebSocket | undefined;
  let retry: NodeJS.Timeout | undefined;
  let connected = false;
  let closed = false;

  const wsUrl = () => {
    const url = new URL(`${options.url.replace(/^http/, 'ws')}/api/events`);
    const since = options.since();
    if (since) url.searchParams.set('since', since);
    return url.toString();
  };

  const setConnected = (value: boolean, reason?: string) => {
    if (connected === value) return;
    connected = value;
    handlers.onConnection(value, reason);
  };

  const connect = () => {
    if (closed) return;
    const ws = new WebSocket(wsUrl(), {
      headers: { authorization: `Bearer ${options.token}` },
      perMessageDeflate: false,
    });
    socket = ws;
    keepAlive(ws, {
      pingMs: options.pingMs,
      onSilent: () => {
        logger.warn('relay event socket silent; reconnecting');
        ws.terminate();
      },
    });
    ws.on('open', () => {
      backoff.reset();
      setConnected(true);
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const bytes = Buffer.isBuffer(data)
        ? data
        : Array.isArray(data)
          ? Buffer.concat(data)
          : Buffer.from(data);
      if (isBinary) {
        handlers.onPreview(options.promptIds ? options.promptIds.preview(bytes) : bytes);
        return;
      }
      let json: unknown;
      try {
        json = JSON.parse(bytes.toString('utf8'));
      } catch {
        logger.warn('relay sent a text frame that is not JSON; ignored');
        return;
      }
      // Only a `workshop` frame can be a notice: events skip that schema.
      const notice = isWorkshop(json) ? WorkshopNotice.safeParse(json) : undefined;
      if (notice?.success) {
        handlers.onWorkshop?.(notice.data);
        return;
      }
      const parsed = RelayEvent.safeParse(json);
      if (!parsed.success) {
        logger.warn(
          { issues: parsed.error.issues.slice(0, 3) },
          'relay event does not match the contract; ignored',
        );
        return;
      }
      handlers.onEvent(options.promptIds ? options.promptIds.event(parsed.data) : parsed.data);
    });
    ws.on('unexpected-response', (_req, res) => {
      logger.warn({ status: res.statusCode }, 'relay refused the event socket');
      res.resume();
    });
    ws.on('error', (error) => logger.debug({ err: error }, 'relay event socket error'));
    ws.on('close', (code, reason) => {
      if (socket === ws) socket = undefined;
      setConnected(false, reason.toString() || `closed (${code})`);
      if (closed) return;
      retry = setTimeout(connect, backoff.next());
    });
  };

  connect();
  return {
    get connected() {
      return connected;
    },
    close() {
      closed = true;
      if (retry) clearTimeout(retry);
      socket?.terminate();
    },
  };
}
