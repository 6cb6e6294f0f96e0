/**
 * @fileoverview Opening a ComfyUI WebSocket the way the browser tab does, in one place: the URL
 * (`<base>/ws?clientId=`), the auth header and Origin, the `feature_flags` first frame, and frames
 * read with protocol/'s codecs (text loosely, binary previews with their metadata). Who listens
 * to what (a relay routing by prompt_id, the CLI following one job, a bench tab stamping arrival
 * times) stays with the caller; a socket that reconnects forever is reconnecting-socket.ts.
 */
import WebSocket from 'ws';
import {
  decodeBinaryFrame,
  parseComfyWsText,
  type ComfyWsClientMessage,
  type PreviewMetadata,
} from '../../protocol/src/index';
import { ComfyUnavailable } from './errors';

/** A frame as read: a text message, or a preview image with its metadata (type 4). */
export type ComfyFrame =
  | { kind: 'message'; type: string; data: Record<string, unknown> }
  | { kind: 'preview'; meta: PreviewMetadata; image: Buffer };

export type FeatureFlags = ComfyWsClientMessage['data'];

/** What the stock frontend announces (previews tagged with their prompt_id). */
export const FRONTEND_FEATURE_FLAGS: FeatureFlags = {
  supports_preview_metadata: true,
  supports_manager_v4_ui: true,
};

/** `http://host/user001` → `ws://host/user001/ws?clientId=…`. */
export function comfyWsUrl(baseUrl: string, clientId: string): string {
  const url = new URL(`${baseUrl.replace(/\/+$/, '')}/ws`);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.searchParams.set('clientId', clientId);
  return url.toString();
}

/** A frame read loosely: undefined for anything but `{type, data: object}` text or a type-4 preview. */
export function readFrame(raw: WebSocket.RawData, isBinary: boolean): ComfyFrame | undefined {
  const bytes = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw as Buffer);
  if (isBinary) {
    const frame = decodeBinaryFrame(bytes);
    if (frame.kind !== 'preview_with_metadata') return undefined;
    return { kind: 'preview', meta: frame.meta, image: Buffer.from(frame.image) };
  }
  const message = parseComfyWsText(bytes.toString());
  if (!message || !message.data || typeof message.data !== 'object') return undefined;
  return { kind: 'message', type: message.type, data: message.data as Record<string, unknown> };
}

export type OpenOptions = {
  /** Sent first, as the frontend does; ComfyUI honours only the first text frame. */
  featureFlags: FeatureFlags;
  /** Sent right after the flags (our `comfyume.hello`). */
  hello?: { type: string; data: unknown };
  /** Request headers (auth); `origin` defaults to the base URL's origin. */
  headers?: Record<string, string>;
  /** Resolve on 'open', or on the first `status` frame (ComfyUI's greeting with the sid). */
  waitFor: 'open' | 'status';
  timeoutMs: number;
  /** Attached before the socket opens, so no frame is missed. */
  onFrame?: (frame: ComfyFrame) => void;
};

/** Opens a tab's socket; an error (a refused upgrade too) or no greeting in time is ComfyUnavailable. */
export async function openComfySocket(
  baseUrl: string,
  clientId: string,
  options: OpenOptions,
): Promise<WebSocket> {
  const where = `${baseUrl}/ws`;
  const ws = new WebSocket(comfyWsUrl(baseUrl, clientId), {
    headers: options.headers,
    origin: options.headers?.origin ?? new URL(baseUrl).origin,
    perMessageDeflate: false,
  });
  if (options.onFrame) {
    const onFrame = options.onFrame;
    ws.on('message', (raw, isBinary) => {
      const frame = readFrame(raw, isBinary);
      if (frame) onFrame(frame);
    });
  }
  await new Promise<void>((resolve, reject) => {
    const fail = (message: string) => {
      clearTimeout(timer);
      ws.off('message', onMessage);
      ws.terminate();
      reject(new ComfyUnavailable(message, true, false));
    };
    const timer = setTimeout(
      () =>
        fail(
          options.waitFor === 'status'
            ? `no status frame from ${where} within ${Math.round(options.timeoutMs / 1000)} s`
            : `${where} did not open within ${Math.round(options.timeoutMs / 1000)} s`,
        ),
      options.timeoutMs,
    );
    const onMessage = (raw: WebSocket.RawData, isBinary: boolean) => {
      const frame = readFrame(raw, isBinary);
      if (frame?.kind !== 'message' || frame.type !== 'status') return;
      clearTimeout(timer);
      ws.off('message', onMessage);
      resolve();
    };
    ws.once('error', (error) => fail(`cannot open ${where}: ${error.message}`));
    ws.once('open', () => {
      ws.send(JSON.stringify({ type: 'feature_flags', data: options.featureFlags }));
      if (options.hello) ws.send(JSON.stringify(options.hello));
      if (options.waitFor === 'open') {
        clearTimeout(timer);
        resolve();
      }
    });
    if (options.waitFor === 'status') ws.on('message', onMessage);
  });
  return ws;
}
