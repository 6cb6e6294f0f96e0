/** The hello goes out once per socket, after each (re)connect, and never on a closed socket. */
import { describe, expect, it } from 'vitest';
import { announceExtension, HELLO } from './hello';

class FakeSocket {
  readyState: number = WebSocket.OPEN;
  readonly sent: string[] = [];
  send(text: string) {
    this.sent.push(text);
  }
}

function setup(socket: FakeSocket | null) {
  const api = Object.assign(new EventTarget(), { socket: socket as unknown as WebSocket | null });
  const stop = announceExtension(api);
  const fire = (type: string, detail: unknown = null) =>
    api.dispatchEvent(new CustomEvent(type, { detail }));
  return { api, stop, fire };
}

describe('announceExtension', () => {
  it('greets an already open socket once, however many status frames follow', () => {
    const socket = new FakeSocket();
    const { fire } = setup(socket);
    fire('status', { exec_info: { queue_remaining: 0 } });
    fire('status', { exec_info: { queue_remaining: 1 } });
    expect(socket.sent).toEqual([JSON.stringify(HELLO)]);
  });

  it('greets each new socket after a reconnect', () => {
    const first = new FakeSocket();
    const { api, fire } = setup(first);
    const second = new FakeSocket();
    first.readyState = WebSocket.CLOSED;
    fire('status', null);
    (api as { socket: unknown }).socket = second;
    fire('reconnected');
    fire('status', { exec_info: { queue_remaining: 0 } });
    expect(first.sent).toHaveLength(1);
    expect(second.sent).toEqual([JSON.stringify(HELLO)]);
  });

  it('waits for the socket to be open, and stops when asked', () => {
    const socket = new FakeSocket();
    socket.readyState = WebSocket.CONNECTING;
    const { fire, stop } = setup(socket);
    expect(socket.sent).toEqual([]);
    stop();
    socket.readyState = WebSocket.OPEN;
    fire('status', { exec_info: { queue_remaining: 0 } });
    expect(socket.sent).toEqual([]);
  });

  it('is the hello the sidecar accepts', () => {
    expect(HELLO).toEqual({ type: 'comfyume.hello', data: { extension: 'comfyume' } });
    expect(JSON.stringify(HELLO).length).toBeLessThan(1_024);
  });
});
