/**
 * @fileoverview The "serverless endpoint": one port that round-robins every HTTP request and every WebSocket
 * upgrade over k replicas (http-proxy-middleware with a router), like an L7 load balancer. A client that
 * POSTs a prompt to one replica and polls /history/{id} mostly reaches others, which answer `{}`.
 */
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { createProxyMiddleware } from 'http-proxy-middleware';

export type Balancer = { url: string; port: number; close: () => Promise<void> };

export async function startBalancer(host: string, port: number, targets: string[]): Promise<Balancer> {
  let next = 0;
  const pick = () => targets[next++ % targets.length] as string;
  const proxy = createProxyMiddleware({
    router: () => pick(),
    target: targets[0],
    ws: true,
    changeOrigin: false,
    // Don't let the proxy keep its own keep-alive pool pinned to one replica's sockets.
    agent: undefined,
    on: {
      error: (_err, _req, res) => {
        const r = res as { writeHead?: (s: number, h: Record<string, string>) => void; end: (b?: string) => void; destroy?: () => void };
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
  const server: Server = createServer((req, res) => void proxy(req, res, () => res.end()));
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => {});
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
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
