/**
 * @fileoverview A browser tab's ComfyUI WebSocket for benchmarks (opened by kit/comfy/socket.ts:
 * clientId, feature_flags), stamping every text frame with its arrival time the moment it is
 * read, so waiting for a frame never adds the waiter's own polling delay to a measurement.
 */
import type { WebSocket } from 'ws';
import { openComfySocket, type ComfyFrame } from '../../kit/comfy/socket';
import { monoMs, wallMs } from './stats';

export type Frame = { type: string; data: Record<string, unknown>; at: number; wall: number };
type Waiter = { match: (frame: Frame) => boolean; resolve: (frame: Frame) => void };

export class Tab {
  private frames: Frame[] = [];
  private waiters = new Set<Waiter>();

  /** Set by open(), before it resolves. */
  ws!: WebSocket;

  private constructor(readonly clientId: string) {}

  private receive(read: ComfyFrame): void {
    const at = monoMs();
    const wall = wallMs();
    if (read.kind !== 'message') return;
    const frame: Frame = { type: read.type, data: read.data, at, wall };
    for (const waiter of this.waiters) {
      if (waiter.match(frame)) {
        this.waiters.delete(waiter);
        waiter.resolve(frame);
        return;
      }
    }
    this.frames.push(frame);
    if (this.frames.length > 200) this.frames.splice(0, 100); // old unclaimed frames are of no use
  }

  static async open(baseUrl: string, clientId: string): Promise<Tab> {
    const tab = new Tab(clientId);
    const status = tab.next((f) => f.type === 'status', 30_000);
    tab.ws = await openComfySocket(baseUrl, clientId, {
      featureFlags: { supports_preview_metadata: true },
      headers: { origin: baseUrl },
      waitFor: 'open',
      timeoutMs: 30_000,
      onFrame: (frame) => tab.receive(frame),
    });
    await status;
    return tab;
  }

  /** The first frame (already received or still to come) that matches, with its arrival time. */
  next(match: (frame: Frame) => boolean, timeoutMs: number): Promise<Frame> {
    const index = this.frames.findIndex(match);
    if (index >= 0) return Promise.resolve(this.frames.splice(index, 1)[0]!);
    return new Promise<Frame>((resolve, reject) => {
      const waiter: Waiter = {
        match,
        resolve: (frame) => {
          clearTimeout(timer);
          resolve(frame);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`no matching frame within ${timeoutMs} ms on tab ${this.clientId}`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Forget frames received so far (between runs). */
  clear(): void {
    this.frames = [];
  }

  close(): void {
    this.ws.close();
  }
}

export const forPrompt =
  (type: string, promptId: string, extra: (f: Frame) => boolean = () => true) =>
  (f: Frame) =>
    f.type === type && f.data.prompt_id === promptId && extra(f);
