import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { keepAlive } from './socket-liveness';
import { until } from './until';

let server: WebSocketServer | undefined;
afterEach(async () => {
  for (const client of server?.clients ?? []) client.terminate();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A real ws server on loopback; `deaf` stops reading its side, so pings go unanswered. */
async function connectPair(): Promise<{ client: WebSocket; serverSide: WebSocket }> {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const accepted = once(server, 'connection') as Promise<[WebSocket]>;
  const client = new WebSocket(`ws://127.0.0.1:${port}`);
  await once(client, 'open');
  const [serverSide] = await accepted;
  return { client, serverSide };
}

describe('keepAlive', () => {
  it('keeps a socket whose peer answers, through many pings', async () => {
    const { client } = await connectPair();
    let pongs = 0;
    client.on('pong', () => pongs++);
    let silent = false;
    keepAlive(client, { pingMs: 20, silentTicks: 3, onSilent: () => (silent = true) });
    await new Promise<void>((resolve) => {
      const check = () => (pongs >= 10 ? resolve() : setTimeout(check, 10));
      check();
    });
    expect(silent).toBe(false);
    expect(client.readyState).toBe(WebSocket.OPEN);
  });

  it('terminates a socket whose peer stopped answering, which closes it', async () => {
    const { client, serverSide } = await connectPair();
    // The server's TCP side stops reading: no pong ever comes back.
    (serverSide as unknown as { _socket: { pause(): void } })._socket.pause();
    const closed = once(client, 'close');
    keepAlive(client, { pingMs: 20, silentTicks: 2 });
    await closed;
    expect(client.readyState).toBe(WebSocket.CLOSED);
  });

  it('keeps a socket whose pongs are held back while the owner hears the peer otherwise', async () => {
    const { client, serverSide } = await connectPair();
    (serverSide as unknown as { _socket: { pause(): void } })._socket.pause();
    let silent = false;
    let ticks = 0;
    const liveness = keepAlive(client, {
      pingMs: 20,
      silentTicks: 2,
      onSilent: () => (silent = true),
    });
    // Evidence from elsewhere (an upload's bytes) between every two pings: never silent.
    const origPing = client.ping.bind(client);
    client.ping = (...args: Parameters<WebSocket['ping']>) => {
      ticks++;
      liveness.heard();
      origPing(...args);
    };
    await until(() => ticks >= 10, 5_000, '10 pings');
    expect(silent).toBe(false);
    // The evidence stops: silent within its ticks.
    client.ping = origPing;
    await until(() => silent, 5_000, 'silent once nothing is heard');
  });

  it("counts the peer's pings as heard", async () => {
    const { client, serverSide } = await connectPair();
    // The server stops reading: the client's pings are never answered, but the server pings it.
    (serverSide as unknown as { _socket: { pause(): void } })._socket.pause();
    let silent = false;
    let received = 0;
    client.on('ping', () => received++);
    keepAlive(client, { pingMs: 20, silentTicks: 3, onSilent: () => (silent = true) });
    const pinger = setInterval(() => serverSide.ping(), 5);
    await until(() => received >= 40, 10_000, "40 of the server's pings");
    clearInterval(pinger);
    expect(silent).toBe(false);
  });
});
