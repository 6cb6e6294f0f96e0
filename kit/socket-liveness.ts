/**
 * @fileoverview One heartbeat for our WebSockets (the relay's event sockets to sidecars, the
 * sidecar's socket to the relay, the relay's socket to a GPU, a pull worker's to the relay): ping
 * every `pingMs`; any pong, ping or message counts as heard, and so does what the owner reports with
 * `heard()` (bytes of an upload from the same peer on another connection: a slow link's queue can
 * hold the peer's pongs back for longer than the silence allowed, while its data keeps coming); after `silentTicks` pings in a row with nothing heard, `onSilent` runs
 * (by default the socket is terminated, which fires its `close` so the owner's usual path reconnects
 * or forgets it). Counting ticks instead of comparing timestamps keeps a late timer on a busy event
 * loop from counting as silence.
 */
import { WebSocket } from 'ws';

export type LivenessOptions = {
  pingMs: number;
  /** Pings in a row that may go unanswered before the socket counts as silent (default 1). */
  silentTicks?: number;
  onSilent?: (ws: WebSocket) => void;
};

export type Liveness = {
  stop(): void;
  /** Other evidence the peer is alive now: the silence count starts again. */
  heard(): void;
};

/** Watches `ws` until it closes (or `stop()`); ticks while it is not open do nothing. */
export function keepAlive(ws: WebSocket, options: LivenessOptions): Liveness {
  const silentTicks = options.silentTicks ?? 1;
  const onSilent = options.onSilent ?? ((socket: WebSocket) => socket.terminate());
  let unanswered = 0;
  const heard = () => (unanswered = 0);
  ws.on('pong', heard);
  ws.on('ping', heard);
  ws.on('message', heard);
  const timer = setInterval(() => {
    if (ws.readyState !== WebSocket.OPEN) return;
    if (unanswered >= silentTicks) {
      clearInterval(timer);
      onSilent(ws);
      return;
    }
    unanswered++;
    ws.ping();
  }, options.pingMs);
  timer.unref();
  const stop = () => clearInterval(timer);
  ws.once('close', stop);
  return { stop, heard };
}
