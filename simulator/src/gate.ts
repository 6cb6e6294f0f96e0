/**
 * @fileoverview What sits in front of the simulated ComfyUI like a serverless load balancer: cold start
 * (503 until warm), bursts of injected 502/503, and the Bearer API key. Shared by all replicas.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

export type GateOptions = {
  coldStartMs: number;
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

  constructor(private readonly options: GateOptions) {
    this.warmAt = Date.now() + options.coldStartMs;
    this.burstLeft = options.http5xxBurst?.count ?? 0;
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
