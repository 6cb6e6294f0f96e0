/**
 * @fileoverview What a handler answers when it answers as ComfyUI does, and the one place that
 * writes it: aiohttp's bytes (Python `json.dumps` formatting, `Content-Type` only where aiohttp
 * sets one, an empty 200 with no content type). The simulator stands in for ComfyUI and the
 * sidecar answers in ComfyUI's place, so both write replies through here. The relay's own API
 * is not ComfyUI's and keeps its express-based answers (`relay/src/http/express-adapter.ts`).
 */
import type { ServerResponse } from 'node:http';
import { pyJsonDumps } from '../protocol/src/comfy/py-format';

export type Reply =
  | { status: number; json: unknown; headers?: Record<string, string> }
  /** `contentType` defaults to aiohttp's text/plain; `null` sends none. */
  | { status: number; text: string; contentType?: string | null; headers?: Record<string, string> }
  | { status: number; empty: true }
  /** The handler wrote the response itself (a file stream, a proxied answer). */
  | { handled: true };

export const json = (body: unknown, status = 200): Reply => ({ status, json: body });
/** ComfyUI answers mutations with 200 and an empty body (no content type). */
export const empty = (status = 200): Reply => ({ status, empty: true });

export function send(res: ServerResponse, reply: Reply): void {
  if ('handled' in reply) return;
  if ('json' in reply) {
    const body = Buffer.from(pyJsonDumps(reply.json));
    res.writeHead(reply.status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': body.length,
      ...reply.headers,
    });
    res.end(body);
  } else if ('text' in reply) {
    const body = Buffer.from(reply.text);
    const headers: Record<string, string | number> = {
      'Content-Length': body.length,
      ...reply.headers,
    };
    if (reply.contentType !== null)
      headers['Content-Type'] = reply.contentType ?? 'text/plain; charset=utf-8';
    res.writeHead(reply.status, headers);
    res.end(body);
  } else {
    res.writeHead(reply.status, { 'Content-Length': 0 });
    res.end();
  }
}
