/**
 * @fileoverview What sits in front of the simulated ComfyUI like a serverless load balancer: cold start
 * (503 until warm), scale-down after an idle spell (the next request starts a new cold start), bursts
 * of injected 502/503, and the Bearer API key. Shared by all replicas.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

export type GateOptions = {
  coldStartMs: number;
  /**
   * The provider's scale-down delay: a warm GPU that has had no request for this long scales to
   * zero, and the next request starts a new cold start of `coldStartMs` (0: never scales down).
   */
  scaleDownMs?: number;
  apiKey?: string;
  http5xxBurst?: { status: 502 | 503; count: number };
};

type Refusal = { status: number; body: string; contentType: string };

const REASONS: Record<number, string> = {
  401: 'Unauthorized',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

export class Gate {
  private warmAt: number;
  private burstLeft: number;
  private lastRequestAt = 0;
  /** Cold starts begun so far (the first one at start included, when `coldStartMs` > 0). */
  coldStarts: number;

  constructor(private readonly options: GateOptions) {
    this.warmAt = Date.now() + options.coldStartMs;
    this.burstLeft = options.http5xxBurst?.count ?? 0;
    this.coldStarts = options.coldStartMs > 0 ? 1 : 0;
  }

  /** True once a warm GPU has been idle past the scale-down delay: the next request finds it cold. */
  get scaledDown(): boolean {
    const delay = this.options.scaleDownMs ?? 0;
    return delay > 0 && this.warm && Date.now() - Math.max(this.lastRequestAt, this.warmAt) > delay;
  }

  /** True once the cold start is over (a state tests can assert on, instead of a timer). */
  get warm(): boolean {
    return Date.now() >= this.warmAt;
  }

  /** Ends the cold start now: a test holds the GPU cold (a long coldStartMs) until it has seen what it waits for. */
  warmNow(): void {
    this.warmAt = Math.min(this.warmAt, Date.now());
  }

  private check(req: IncomingMessage): Refusal | undefined {
    if (this.scaledDown) {
      this.warmAt = Date.now() + this.options.coldStartMs; // a request wakes a GPU scaled to zero
      if (this.options.coldStartMs > 0) this.coldStarts++;
    }
    this.lastRequestAt = Date.now();
    if (this.burstLeft > 0) {
      this.burstLeft--;
      const status = this.options.http5xxBurst?.status ?? 503;
      return {
        status,
        body: `upstream connect error or disconnect/reset before headers. reset reason: connection failure`,
        contentType: 'text/plain',
      };
    }
    if (!this.warm) {
      // What an LB says while no replica is up yet.
      return {
        status: 503,
        body: JSON.stringify({
          error: 'no healthy upstream',
          detail: 'the GPU worker is starting (cold start)',
        }),
        contentType: 'application/json',
      };
    }
    if (this.options.apiKey !== undefined && !this.authorized(req.headers.authorization)) {
      return {
        status: 401,
        body: JSON.stringify({ error: 'Unauthorized' }),
        contentType: 'application/json',
      };
    }
    return undefined;
  }

  private authorized(header: string | undefined): boolean {
    const expected = Buffer.from(`Bearer ${this.options.apiKey ?? ''}`);
    const got = Buffer.from(header ?? '');
    return got.length === expected.length && timingSafeEqual(got, expected);
  }

  /** True when the request was answered here. */
  refuseHttp(req: IncomingMessage, res: ServerResponse): boolean {
    const refusal = this.check(req);
    if (!refusal) return false;
    res.writeHead(refusal.status, {
      'Content-Type': refusal.contentType,
      'Content-Length': Buffer.byteLength(refusal.body),
    });
    res.end(refusal.body);
    return true;
  }

  refuseUpgrade(req: IncomingMessage, socket: Duplex): boolean {
    const refusal = this.check(req);
    if (!refusal) return false;
    socket.end(
      `HTTP/1.1 ${refusal.status} ${REASONS[refusal.status] ?? 'Error'}\r\nContent-Type: ${refusal.contentType}\r\nContent-Length: ${Buffer.byteLength(refusal.body)}\r\nConnection: close\r\n\r\n${refusal.body}`,
    );
    return true;
  }
}
