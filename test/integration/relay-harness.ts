/**
 * @fileoverview Shared by the relay integration suites: a relay built in-process (or its config for
 * a child process) on a test Redis, a typed REST client, and an event-socket collector.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino, { type Logger } from 'pino';
import WebSocket from 'ws';
import type { JobView, RelayEvent, SubmitJobRequest } from '../../protocol/src/index';
import { createRelay, type Relay } from '../../relay/src/app';
import { mintUserToken } from '../../kit/user-token';
import type { BackendSet } from '../../relay/src/backends/factory';
import { loadConfig, type Config } from '../../relay/src/config';
import type { TestRedis } from '../../kit/redis-server';

export const SECRET = 'test-relay-secret-0123456789';
export const ADMIN = 'test-admin-token-0123456789';
export const sharedDir = resolve(import.meta.dirname, '../../../shared');

export async function fixturePrompt(name: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(sharedDir, 'fixtures/comfyui', name), 'utf8')) as Record<
    string,
    unknown
  >;
}

export const userToken = (user: string) => mintUserToken(SECRET, user);

export type Harness = {
  relay: Relay;
  url: string;
  config: Config;
  outputDir: string;
  close(): Promise<void>;
};

export function relayEnv(
  redis: TestRedis,
  outputDir: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    REDIS_URL: redis.url,
    REDIS_PREFIX: redis.prefix(),
    RELAY_SECRET: SECRET,
    ADMIN_TOKEN: ADMIN,
    RELAY_HOST: '127.0.0.1',
    RELAY_PORT: '0',
    OUTPUT_DIR: outputDir,
    LOG_LEVEL: 'silent',
    MAX_QUEUED_PER_USER: '0',
    MAX_RUNNING_PER_USER: '0',
    RELAY_LEASE_MS: '3000',
    RELAY_HEARTBEAT_MS: '500',
    ...extra,
  };
}

export async function startHarness(
  redis: TestRedis,
  options: {
    env?: Record<string, string>;
    backends?: BackendSet;
    logger?: Logger;
    outputDir?: string;
    adminDistDir?: string;
  } = {},
): Promise<Harness> {
  const outputDir = options.outputDir ?? (await mkdtemp(join(tmpdir(), 'comfyume-relay-out-')));
  const config = loadConfig(relayEnv(redis, outputDir, options.env));
  const relay = await createRelay(config, {
    logger: options.logger ?? pino({ level: 'silent' }),
    backends: options.backends,
    socketHeartbeatMs: 1_000,
    adminDistDir: options.adminDistDir,
  });
  await relay.start();
  await new Promise<void>((r) => relay.server.listen(0, '127.0.0.1', () => r()));
  const address = relay.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    relay,
    url: `http://127.0.0.1:${port}`,
    config,
    outputDir,
    close: async () => {
      await relay.close();
      if (!options.outputDir) await rm(outputDir, { recursive: true, force: true });
    },
  };
}

export class RelayClient {
  constructor(
    readonly url: string,
    readonly token: string,
  ) {}

  // Tests read whatever JSON a route answers (jobs, errors, status) with plain property access.
  async call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
  ): Promise<{ status: number; body: any }> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body)
          ? { 'content-type': 'application/json' }
          : {}),
        ...headers,
      },
      body:
        body === undefined
          ? undefined
          : Buffer.isBuffer(body)
            ? new Uint8Array(body)
            : typeof body === 'string'
              ? body
              : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {}
    return { status: response.status, body: parsed };
  }

  submit(prompt: Record<string, unknown>, extra: Partial<SubmitJobRequest> = {}) {
    return this.call('POST', '/api/jobs', {
      jobId: randomUUID(),
      clientId: 'tab-1',
      prompt,
      ...extra,
    });
  }

  async job(id: string): Promise<JobView> {
    const { status, body } = await this.call('GET', `/api/jobs/${id}`);
    if (status !== 200) throw new Error(`GET job ${id}: ${status} ${JSON.stringify(body)}`);
    return body.job as JobView;
  }

  async waitFor(
    id: string,
    predicate: (job: JobView) => boolean,
    timeoutMs = 60_000,
  ): Promise<JobView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const job = await this.job(id);
      if (predicate(job)) return job;
      if (Date.now() > deadline)
        throw new Error(`job ${id} still ${job.state} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export const finished = (job: JobView) =>
  job.state === 'done' || job.state === 'failed' || job.state === 'cancelled';

/** A client of WS /api/events that keeps everything it receives. */
export class EventCollector {
  readonly events: RelayEvent[] = [];
  /** When each event arrived (ms epoch), parallel to `events`. */
  readonly receivedAt: number[] = [];
  readonly binary: Buffer[] = [];
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  closed = false;

  constructor(url: string, token: string, since?: string) {
    const wsUrl = `${url.replace(/^http/, 'ws')}/api/events${since ? `?since=${since}` : ''}`;
    this.ws = new WebSocket(wsUrl, { headers: { authorization: `Bearer ${token}` } });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) =>
        reject(new Error(`upgrade refused: ${res.statusCode}`)),
      );
      this.ws.once('error', reject);
    });
    this.opened.catch(() => undefined);
    this.ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) this.binary.push(data);
      else {
        this.events.push(JSON.parse(data.toString()) as RelayEvent);
        this.receivedAt.push(Date.now());
      }
    });
    this.ws.on('close', () => (this.closed = true));
  }

  comfy(jobId?: string) {
    return this.events.flatMap((e) =>
      e.type === 'comfy' && (!jobId || e.jobId === jobId) ? [e.message] : [],
    );
  }

  async waitFor(predicate: (events: RelayEvent[]) => boolean, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.events)) {
      if (Date.now() > deadline)
        throw new Error(
          `events: condition not met after ${timeoutMs} ms (${this.events.length} events)`,
        );
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  close(): void {
    this.ws.close();
  }
}
