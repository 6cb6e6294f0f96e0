/**
 * @fileoverview Everything the sidecar does not answer itself goes to the local ComfyUI, untouched:
 * bodies stream both ways (Range, uploads, video) over a keep-alive agent with no buffering, Host
 * and Origin are rewritten so ComfyUI's own origin check passes (the sidecar already applied it,
 * see http/origin.ts), and transport failures map to one JSON 502/504 here and nowhere else.
 * Hand-written on node:http: a proxied `/view` costs what a socket-to-socket pipe costs.
 */
import {
  Agent,
  request,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorBody } from '../../../protocol/src/errors';
import type { Logger } from '../logger';

export type LocalProxy = {
  web(req: IncomingMessage, res: ServerResponse): void;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): void;
};

/** The JSON answer for a proxy transport failure (pure, for tests). */
export function proxyFailure(error: NodeJS.ErrnoException): { status: number; body: ErrorBody } {
  const timeout = error.code === 'ETIMEDOUT' || error.code === 'ESOCKETTIMEDOUT';
  return {
    status: timeout ? 504 : 502,
    body: {
      error: {
        code: timeout ? 'timeout' : 'backend_unavailable',
        message: timeout
          ? 'Your local ComfyUI did not answer in time.'
          : `Your local ComfyUI is not reachable (${error.code ?? error.message}); it may be restarting.`,
      },
    },
  };
}

/** Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection, not the message. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'upgrade',
]);

function forwardable(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  return out;
}

export function createLocalProxy(comfyUrl: string, logger: Logger): LocalProxy {
  const upstream = new URL(comfyUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 16 });
  const upstreamHeaders = (req: IncomingMessage): OutgoingHttpHeaders => {
    const headers = forwardable(req.headers);
    headers.host = upstream.host;
    if (headers.origin) headers.origin = upstream.origin;
    return headers;
  };
  const target = (req: IncomingMessage) => ({
    hostname: upstream.hostname,
    port: upstream.port,
    method: req.method,
    path: (upstream.pathname.replace(/\/+$/, '') || '') + (req.url ?? '/'),
  });

  function fail(error: Error, req: IncomingMessage, res: ServerResponse) {
    logger.warn({ err: error.message, url: req.url }, 'proxy to the local ComfyUI failed');
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    const failure = proxyFailure(error as NodeJS.ErrnoException);
    res.writeHead(failure.status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(failure.body));
  }

  return {
    web(req, res) {
      const proxyReq = request({ ...target(req), headers: upstreamHeaders(req), agent });
      proxyReq.on('error', (error) => fail(error, req, res));
      proxyReq.on('response', (proxyRes) => {
        res.writeHead(proxyRes.statusCode ?? 502, forwardable(proxyRes.headers));
        proxyRes.pipe(res);
        proxyRes.on('error', () => res.destroy());
      });
      // The browser went away mid-answer: free the upstream socket rather than finish the copy.
      res.on('close', () => {
        if (!res.writableFinished) proxyReq.destroy();
      });
      req.pipe(proxyReq);
    },
    upgrade(req, socket, head) {
      const headers = upstreamHeaders(req);
      headers.connection = 'Upgrade';
      headers.upgrade = req.headers.upgrade ?? 'websocket';
      const proxyReq = request({ ...target(req), headers });
      proxyReq.on('error', (error) => {
        logger.warn({ err: error.message, url: req.url }, 'proxied upgrade failed');
        socket.destroy();
      });
      proxyReq.on('response', (proxyRes) => {
        // Refused the upgrade: pass its answer on and close.
        const lines = [`HTTP/1.1 ${proxyRes.statusCode} ${proxyRes.statusMessage}`];
        for (let i = 0; i < proxyRes.rawHeaders.length; i += 2)
          lines.push(`${proxyRes.rawHeaders[i]}: ${proxyRes.rawHeaders[i + 1]}`);
        socket.write(`${lines.join('\r\n')}\r\n\r\n`);
        proxyRes.pipe(socket);
      });
      proxyReq.on('upgrade', (proxyRes, upstreamSocket, upstreamHead) => {
        const lines = ['HTTP/1.1 101 Switching Protocols'];
        for (let i = 0; i < proxyRes.rawHeaders.length; i += 2)
          lines.push(`${proxyRes.rawHeaders[i]}: ${proxyRes.rawHeaders[i + 1]}`);
        socket.write(`${lines.join('\r\n')}\r\n\r\n`);
        if (upstreamHead.length) socket.write(upstreamHead);
        if (head.length) upstreamSocket.write(head);
        upstreamSocket.on('error', () => socket.destroy());
        socket.on('error', () => upstreamSocket.destroy());
        upstreamSocket.pipe(socket).pipe(upstreamSocket);
      });
      proxyReq.end();
    },
    close() {
      agent.destroy();
    },
  };
}
