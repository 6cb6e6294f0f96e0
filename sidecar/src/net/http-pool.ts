/**
 * @fileoverview The sidecar's one outgoing HTTP client: node:http(s) over a keep-alive Agent per
 * upstream (the relay, the local ComfyUI). undici's Pool did the same for the sidecar's few calls
 * at ~16 MB of RSS per process; the sidecar runs once per attendee, so its memory counts.
 * Timeouts: `timeoutMs` bounds the wait for headers, `idleMs` the silence while a body streams.
 */
import {
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export type PoolResponse = {
  statusCode: number;
  headers: IncomingHttpHeaders;
  /** The body stream: read it (`text`, `bytes`, pipe it) or `resume()` it, so the socket is reused. */
  body: IncomingMessage;
};

export type PoolRequest = {
  method: string;
  /** Path and query, without the origin. */
  path: string;
  headers?: OutgoingHttpHeaders;
  body?: string | Buffer;
  /** Time allowed until the response headers (defaults to the pool's). */
  timeoutMs?: number;
};

export type HttpPool = {
  readonly origin: URL;
  readonly agent: HttpAgent;
  request(request: PoolRequest): Promise<PoolResponse>;
  close(): Promise<void>;
};

export class HttpTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(what: string, ms: number) {
    super(`${what} after ${ms} ms`);
  }
}

export function createHttpPool(
  origin: string,
  options: { maxSockets: number; timeoutMs: number; idleMs?: number },
): HttpPool {
  const url = new URL(origin);
  const https = url.protocol === 'https:';
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets, maxFreeSockets: 4 };
  const agent = https ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
  const send = https ? httpsRequest : httpRequest;
  const idleMs = options.idleMs ?? options.timeoutMs;
  return {
    origin: url,
    agent,
    request(r) {
      const headersMs = r.timeoutMs ?? options.timeoutMs;
      return new Promise<PoolResponse>((resolve, reject) => {
        const headers: OutgoingHttpHeaders = { ...r.headers };
        if (r.body !== undefined) headers['content-length'] = Buffer.byteLength(r.body);
        const req = send({
          protocol: url.protocol,
          hostname: url.hostname,
          port: url.port,
          method: r.method,
          path: r.path,
          headers,
          agent,
        });
        const timer = setTimeout(
          () => req.destroy(new HttpTimeoutError(`no answer to ${r.method} ${r.path}`, headersMs)),
          headersMs,
        );
        req.once('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
        req.once('response', (res) => {
          clearTimeout(timer);
          res.setTimeout(idleMs, () =>
            res.destroy(new HttpTimeoutError(`body of ${r.method} ${r.path} stalled`, idleMs)),
          );
          resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: res });
        });
        req.end(r.body);
      });
    },
    async close() {
      agent.destroy();
    },
  };
}

/** The whole body as a Buffer (rejects when the stream fails or times out). */
export async function bodyBytes(body: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export const bodyText = async (body: IncomingMessage) => (await bodyBytes(body)).toString('utf8');
