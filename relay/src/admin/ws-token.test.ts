/** @fileoverview The browser's token subprotocol, end to end through a real ws server and the relay's header auth. */
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { tokenProtocols, WS_PROTOCOL } from '../../../protocol/src/relay/ws-token';
import { adoptProtocolToken } from './ws-token';

describe('token subprotocol', () => {
  describe('on a real upgrade', () => {
    let server: Server | undefined;
    afterEach(async () => {
      server?.closeAllConnections();
      await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    });

    it('authenticates through the Authorization header and answers comfyume.v1, never echoing the token', async () => {
      const wss = new WebSocketServer({ noServer: true });
      const seen: (string | undefined)[] = [];
      server = createServer();
      server.on('upgrade', (req, socket, head) => {
        adoptProtocolToken(req);
        seen.push(req.headers.authorization);
        if (req.headers.authorization !== 'Bearer s3cret-admin-token') {
          socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
          return;
        }
        wss.handleUpgrade(req, socket, head, (ws) => ws.close(1000, 'ok'));
      });
      await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
      const address = server.address();
      const url = `ws://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/api/events`;

      const good = new WebSocket(url, tokenProtocols('s3cret-admin-token'));
      const protocol = await new Promise<string>((resolve, reject) => {
        good.once('open', () => resolve(good.protocol));
        good.once('error', reject);
      });
      expect(protocol).toBe(WS_PROTOCOL);

      const bad = new WebSocket(url, tokenProtocols('wrong'));
      const status = await new Promise<number>((resolve) =>
        bad.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
      );
      expect(status).toBe(401);
      bad.on('error', () => undefined);

      // A header already present wins over the subprotocol.
      const both = new WebSocket(url, tokenProtocols('s3cret-admin-token'), {
        headers: { authorization: 'Bearer other' },
      });
      both.on('error', () => undefined);
      await new Promise<void>((resolve) => both.once('unexpected-response', () => resolve()));
      expect(seen).toEqual(['Bearer s3cret-admin-token', 'Bearer wrong', 'Bearer other']);
      wss.close();
    });
  });
});
