/**
 * @fileoverview A browser tab's ComfyUI WebSocket for benchmarks: connects with a clientId, sends
 * the frontend's feature_flags, and stamps every text frame with its arrival time the moment it
 * is received, so waiting for a frame never adds the waiter's own polling delay to a measurement.
 */
import { WebSocket } from 'ws';
import { monoMs, wallMs } from './stats';

export type Frame = { type: string; data: Record<string, unknown>; at: number; wall: number };
type Waiter = { match: (frame: Frame) => boolean; resolve: (frame: Frame) => void };

export class Tab {
  private frames: Frame[] = [];
  private waiters = new Set<Waiter>();

  private constructor(
    readonly ws: WebSocket,
    readonly clientId: string,
  ) {
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const at = monoMs();
      const wall = wallMs();
      const parsed = JSON.parse(String(data)) as { type: string; data: Record<string, unknown> };
      const frame: Frame = { type: parsed.type, data: parsed.data ?? {}, at, wall };
      for (const waiter of this.waiters) {
        if (waiter.match(frame)) {
          this.waiters.delete(waiter);
          waiter.resolve(frame);
          return;
        }
      }
      this.frames.push(frame);
      if (this.frames.length > 200) this.frames.splice(0, 100); // old unclaimed frames are of no use
    });
  }

  static async open(baseUrl: string, clientId: string): Promise<Tab> {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws?clientId=${clientId}`, {
      headers: { origin: baseUrl },
    });
    const tab = new Tab(ws, clientId);
    const status = tab.next((f) => f.type === 'status', 30_000);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send(JSON.stringify({ type: 'feature_flags', data: { supports_preview_metadata: true } }));
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
