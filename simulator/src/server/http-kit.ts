/**
 * @fileoverview A small route table over node:http. Hand-written instead of express because the simulator
 * must answer byte-for-byte like aiohttp (exact content types, empty 200s without a content type, Python
 * JSON formatting, 500 text for malformed JSON), which is simpler to state directly than to undo.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Reply } from '../../../kit/aiohttp-reply';

export type Ctx = {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
  body: () => Promise<Buffer>;
  /** aiohttp `request.json()`: throws MalformedJson (answered 500 like aiohttp) on bad JSON. */
  json: () => Promise<unknown>;
};

export type Handler = (ctx: Ctx) => Promise<Reply> | Reply;
type Route = { method: string; pattern: RegExp; keys: string[]; handler: Handler };

export class MalformedJson extends Error {}

/** aiohttp's answer to an unhandled exception in a handler (e.g. json.loads on a bad body). */
export const AIOHTTP_500: Reply = {
  status: 500,
  text: '500 Internal Server Error\n\nServer got itself in trouble',
  contentType: 'text/plain; charset=utf-8',
};

export class Router {
  private routes: Route[] = [];

  add(method: string, path: string, handler: Handler): this {
    const keys: string[] = [];
    const pattern = new RegExp(
      '^' +
        path.replace(/\{(\w+)\}/g, (_, key: string) => {
          keys.push(key);
          return '([^/]+)';
        }) +
        '$',
    );
    this.routes.push({ method, pattern, keys, handler });
    return this;
  }

  /** ComfyUI registers every PromptServer route twice: `/x` and `/api/x`. */
  both(method: string, path: string, handler: Handler): this {
    return this.add(method, path, handler).add(method, `/api${path}`, handler);
  }

  match(
    method: string,
    pathname: string,
  ): { handler: Handler; params: Record<string, string> } | 'method' | undefined {
    let pathMatched = false;
    for (const route of this.routes) {
      const m = route.pattern.exec(pathname);
      if (!m) continue;
      pathMatched = true;
      if (route.method !== method && !(route.method === 'GET' && method === 'HEAD')) continue;
      const params: Record<string, string> = {};
      route.keys.forEach((key, i) => (params[key] = decodeURIComponent(m[i + 1] as string)));
      return { handler: route.handler, params };
    }
    return pathMatched ? 'method' : undefined;
  }
}

export function readBody(req: IncomingMessage, limit = 100 * 1024 * 1024): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
