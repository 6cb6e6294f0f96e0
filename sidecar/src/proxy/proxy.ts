/**
 * @fileoverview Everything the sidecar does not answer itself goes to the local ComfyUI, untouched:
 * http-proxy-middleware streams bodies both ways (Range, uploads, video), rewrites Host and Origin
 * so ComfyUI's own origin check passes (the sidecar already applied it, see http/origin.ts), and
 * maps transport failures to one JSON 502/504 here and nowhere else.
 */
import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  createProxyMiddleware,
  debugProxyErrorsPlugin,
  proxyEventsPlugin,
} from 'http-proxy-middleware';
import type { ErrorBody } from '../../../protocol/src/errors';
import type { Logger } from '../logger';

export type LocalProxy = {
  web(req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
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

export function createLocalProxy(comfyUrl: string, logger: Logger): LocalProxy {
  const upstreamOrigin = new URL(comfyUrl).origin;
  const middleware = createProxyMiddleware<IncomingMessage, ServerResponse>({
    target: comfyUrl,
    changeOrigin: true,
    ws: false, // upgrades are routed by the sidecar (ws/browser-hub.ts); others via .upgrade()
    ejectPlugins: true,
    plugins: [debugProxyErrorsPlugin, proxyEventsPlugin],
    on: {
      proxyReq(proxyReq: ClientRequest) {
        if (proxyReq.getHeader('origin')) proxyReq.setHeader('origin', upstreamOrigin);
      },
      proxyReqWs(proxyReq: ClientRequest) {
        if (proxyReq.getHeader('origin')) proxyReq.setHeader('origin', upstreamOrigin);
      },
      error(error: Error, req: IncomingMessage, res: ServerResponse | Socket) {
        logger.warn({ err: error.message, url: req.url }, 'proxy to the local ComfyUI failed');
        if (!('setHeader' in res)) {
          res.destroy();
          return;
        }
        if (res.headersSent) {
          res.destroy();
          return;
        }
        const failure = proxyFailure(error as NodeJS.ErrnoException);
        res.writeHead(failure.status, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(failure.body));
      },
    },
  });
  return {
    web: (req, res, next) => void middleware(req, res, next),
    upgrade: (req, socket, head) => middleware.upgrade(req, socket as Socket, head),
  };
}
