/**
 * @fileoverview The "serverless endpoint": one port that round-robins every HTTP request and every WebSocket
 * upgrade over k replicas (http-proxy-middleware with a router), like an L7 load balancer. A client that
 * POSTs a prompt to one replica and polls /history/{id} mostly reaches others, which answer `{}`.
 *
 * With replicas in their own processes the balancer also plays the rest of the load balancer: the gate
 * (cold start, API key, injected 5xx) answers before any replica does, and a replica that refuses
 * connections (its process died) is skipped for a while, as a health check would — the request that
 * found it dead gets a 502, as it would behind a real balancer.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { createProxyMiddleware } from 'http-proxy-middleware';
import type { Gate } from './gate';

export type Balancer = {
  url: string;
  port: number;
  /** Requests forwarded so far, by method and path (e.g. "POST /interrupt"). */
  requests: Map<string, number>;
  close: () => Promise<void>;
};

/** How long a replica that refused a connection is left out of the rotation. */
const DOWN_MS = 5000;

export async function startBalancer(
  host: string,
  port: number,
  targets: string[],
  gate?: Gate,
): Promise<Balancer> {
  let next = 0;
  const downUntil = new Map<string, number>();
  const requests = new Map<string, number>();
  const pick = () => {
    for (let tries = 0; tries < targets.length; tries++) {
      const target = targets[next++ % targets.length] as string;
      if ((downUntil.get(target) ?? 0) <= Date.now()) return target;
    }
    return targets[next++ % targets.length] as string;
  };
  const chosen = new WeakMap<IncomingMessage, string>();
  const proxy = createProxyMiddleware({
    router: (req) => {
      const target = pick();
      chosen.set(req as IncomingMessage, target);
      return target;
    },
    target: targets[0],
    ws: true,
    changeOrigin: false,
    // Don't let the proxy keep its own keep-alive pool pinned to one replica's sockets.
    agent: undefined,
    on: {
      error: (err, req, res) => {
        const target = chosen.get(req as IncomingMessage);
        if (target && (err as NodeJS.ErrnoException).code === 'ECONNREFUSED')
          downUntil.set(target, Date.now() + DOWN_MS);
        const r = res as {
          writeHead?: (s: number, h: Record<string, string>) => void;
          end: (b?: string) => void;
          destroy?: () => void;
        };
        if (typeof r.writeHead === 'function') {
          try {
            r.writeHead(502, { 'Content-Type': 'text/plain' });
            r.end('upstream connect error');
          } catch {
            r.destroy?.();
          }
        } else (res as Socket).destroy();
      },
    },
  });
  const count = (req: IncomingMessage) => {
    const key = `${req.method} ${(req.url ?? '/').split('?')[0]}`;
    requests.set(key, (requests.get(key) ?? 0) + 1);
  };
  const server: Server = createServer((req, res) => {
    if (gate?.refuseHttp(req, res)) return;
    count(req);
    void proxy(req, res, () => res.end());
  });
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => {});
    if (gate?.refuseUpgrade(req, socket)) return;
    proxy.upgrade(req, socket as Socket, head);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  return {
    port: actual,
    url: `http://${host}:${actual}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
