/**
 * @fileoverview A slow link between a client and a server on 127.0.0.1, as a TCP proxy (node:net):
 * what the client sends (its uplink) goes through one FIFO queue shared by all its connections,
 * drained at `upBytesPerS`; the queue holds up to `queueBytes` before the client's sockets are
 * paused (TCP back-pressure), so a big upload delays the small frames behind it — pongs, job
 * messages — as a saturated, bloated uplink does. The downlink is not limited.
 */
import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export type ThrottledLink = {
  url: string;
  /** Bytes the uplink delivered so far. */
  readonly bytesUp: number;
  /** Bytes waiting in the uplink's queue now. */
  readonly queued: number;
  close(): Promise<void>;
};

type Item = { dest: Socket; chunk: Buffer } | { dest: Socket; end: true };

const PIECE = 16 * 1024;

export async function startThrottledLink(
  targetPort: number,
  { upBytesPerS, queueBytes }: { upBytesPerS: number; queueBytes: number },
): Promise<ThrottledLink> {
  const queue: Item[] = [];
  const paused = new Set<Socket>();
  const sockets = new Set<Socket>();
  let queued = 0;
  let bytesUp = 0;
  let nextAt = 0;
  let draining = false;
  let closed = false;

  const drain = async () => {
    if (draining) return;
    draining = true;
    while (queue.length && !closed) {
      const item = queue[0]!;
      if ('end' in item) {
        queue.shift();
        item.dest.end();
        continue;
      }
      const piece = item.chunk.subarray(0, PIECE);
      nextAt = Math.max(nextAt, performance.now()) + (piece.length * 1000) / upBytesPerS;
      const wait = nextAt - performance.now();
      if (wait > 0) await sleep(wait);
      if (piece.length === item.chunk.length) queue.shift();
      else item.chunk = item.chunk.subarray(piece.length);
      queued -= piece.length;
      bytesUp += piece.length;
      if (!item.dest.destroyed) item.dest.write(piece);
      if (queued < queueBytes) {
        for (const socket of paused) socket.resume();
        paused.clear();
      }
    }
    draining = false;
  };

  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    upstream.pipe(client); // the downlink: not limited
    client.on('data', (chunk: Buffer) => {
      queue.push({ dest: upstream, chunk });
      queued += chunk.length;
      if (queued >= queueBytes) {
        client.pause();
        paused.add(client);
      }
      void drain();
    });
    client.on('end', () => {
      queue.push({ dest: upstream, end: true });
      void drain();
    });
    const destroyBoth = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
      paused.delete(client);
    };
    client.on('error', destroyBoth);
    upstream.on('error', destroyBoth);
    upstream.on('close', destroyBoth);
    client.on('close', (hadError) => hadError && destroyBoth());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get bytesUp() {
      return bytesUp;
    },
    get queued() {
      return queued;
    },
    async close() {
      closed = true;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
