/**
 * @fileoverview Tells the sidecar that this page runs our extension, on every (re)connect of
 * ComfyUI's socket: only then does the sidecar send this socket our `comfyume.*` messages (a stock
 * page never gets them). The server's first frame after each open is `status`, so the hello goes
 * out right after it, once per socket.
 */
import type { ComfyumeHello } from '../../../protocol/src/relay/events';

export const HELLO: ComfyumeHello = { type: 'comfyume.hello', data: { extension: 'comfyume' } };

/** The part of ComfyUI's `api` we use: its events and its current socket. */
export type SocketApi = Pick<EventTarget, 'addEventListener' | 'removeEventListener'> & {
  readonly socket: WebSocket | null;
};

/** Greets every socket `api` opens; returns the function that stops it. */
export function announceExtension(api: SocketApi): () => void {
  let greeted: WebSocket | null = null;
  const greet = () => {
    const socket = api.socket;
    if (!socket || socket === greeted || socket.readyState !== WebSocket.OPEN) return;
    greeted = socket;
    socket.send(JSON.stringify(HELLO));
  };
  api.addEventListener('status', greet);
  api.addEventListener('reconnected', greet);
  greet(); // the socket may already be open when our module loads
  return () => {
    api.removeEventListener('status', greet);
    api.removeEventListener('reconnected', greet);
  };
}
