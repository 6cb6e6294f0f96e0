/**
 * @fileoverview The replica's WebSocket side: sid → socket map with per-socket client feature flags, and
 * ComfyUI's `send(event, data, sid)` rule (sid null → every socket; unknown sid → dropped silently).
 * Sends are synchronous in call order, so the wire order is the engine's order (ComfyUI's one FIFO).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { pyJsonDumps } from '../../../protocol/src/comfy/py-format';

export type ClientFlags = Record<string, unknown>;

export type HubHooks = {
  /** `{"status": {"exec_info": ...}}` for the connect frame. */
  queueInfo: () => Record<string, unknown>;
  /** Server feature flags sent in reply to the client's first `feature_flags` frame. */
  serverFeatures: () => Record<string, unknown>;
  /** Reconnect rule: the last node id when `sid` is the running prompt's client. */
  lastNodeFor: (sid: string) => string | undefined;
};

export class WsHub {
  private sockets = new Map<string, WebSocket>();
  private flags = new Map<string, ClientFlags>();

  constructor(private readonly hooks: HubHooks) {}

  /** Register a just-upgraded socket (`?clientId=` reuses that sid, else a uuid4 hex). */
  accept(ws: WebSocket, request: IncomingMessage): string {
    const url = new URL(request.url ?? '/', 'http://x');
    let sid = url.searchParams.get('clientId') ?? '';
    if (sid) this.sockets.delete(sid);
    else sid = randomUUID().replaceAll('-', '');
    this.sockets.set(sid, ws);
    this.flags.set(sid, {});
    ws.on('error', () => {});
    this.sendTo(ws, 'status', { status: this.hooks.queueInfo(), sid });
    const lastNode = this.hooks.lastNodeFor(sid);
    if (lastNode !== undefined) this.sendTo(ws, 'executing', { node: lastNode });
    let first = true;
    ws.on('message', (raw, isBinary) => {
      if (isBinary) return;
      try {
        const data = JSON.parse(raw.toString()) as { type?: unknown; data?: unknown };
        if (first && data?.type === 'feature_flags') {
          this.flags.set(sid, (data.data as ClientFlags) ?? {});
          this.sendTo(ws, 'feature_flags', this.hooks.serverFeatures());
        }
        first = false;
      } catch {
        // ComfyUI logs and ignores non-JSON text frames.
      }
    });
    ws.on('close', () => {
      // Like ComfyUI's finally block: the sid entry goes, whichever socket holds it now.
      if (this.sockets.get(sid) === ws) {
        this.sockets.delete(sid);
        this.flags.delete(sid);
      }
    });
    return sid;
  }

  private sendTo(ws: WebSocket, type: string, data: unknown): void {
    if (ws.readyState === ws.OPEN) ws.send(pyJsonDumps({ type, data }));
  }

  /** ComfyUI `send_sync(event, data, sid)`: sid null/undefined broadcasts. */
  send(type: string, data: unknown, sid: string | null | undefined): void {
    if (sid === null || sid === undefined) {
      for (const ws of this.sockets.values()) this.sendTo(ws, type, data);
      return;
    }
    const ws = this.sockets.get(sid);
    if (ws) this.sendTo(ws, type, data);
  }

  sendBinary(frame: Buffer, sid: string | null | undefined): void {
    const targets =
      sid === null || sid === undefined ? [...this.sockets.values()] : [this.sockets.get(sid)];
    for (const ws of targets) if (ws && ws.readyState === ws.OPEN) ws.send(frame);
  }

  /** `feature_flags.supports_feature(sockets_metadata, sid, name)`. */
  supports(sid: string | null | undefined, feature: string): boolean {
    if (sid === null || sid === undefined) return false;
    return this.flags.get(sid)?.[feature] === true;
  }

  /** Close every socket (failure injection `dropSocketsAfterMs`, shutdown). */
  dropAll(): void {
    for (const ws of this.sockets.values()) ws.terminate();
    this.sockets.clear();
    this.flags.clear();
  }

  get size(): number {
    return this.sockets.size;
  }
}
