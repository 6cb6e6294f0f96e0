/**
 * @fileoverview Integration harness: real Redis, a real relay (direct mode) in front of a simulated
 * GPU, and per attendee a simulated local ComfyUI with its sidecar — all on loopback port 0 — plus
 * a browser-like WebSocket client that records what the tab would receive.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { createRelay, type Relay } from '../../relay/src/app';
import { mintUserToken } from '../../kit/user-token';
import { loadConfig as loadRelayConfig } from '../../relay/src/config';
import {
  startSimulator,
  type RunningSimulator,
  type SimulatorOptions,
} from '../../simulator/src/app';
import { startRedis, type StartRedisOptions, type TestRedis } from '../../kit/redis-server';
import { createSidecar, type Sidecar } from '../../sidecar/src/app';
import { loadConfig } from '../../sidecar/src/config';
import { readJson } from './recorded-ws';

export const RELAY_SECRET = 'test-relay-secret-0123456789';
export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export type Attendee = {
  userId: string;
  url: string;
  local: RunningSimulator;
  sidecar: Sidecar;
  dirs: { input: string; output: string; temp: string; state: string };
  close(): Promise<void>;
};

export type Stack = {
  redis: TestRedis;
  gpu: RunningSimulator;
  relayUrl: string;
  relayPort: number;
  relay: Relay;
  root: string;
  /** `local`: options of the attendee's own (simulated) ComfyUI, e.g. `{ version: '0.8.0' }`. */
  attendee(
    userId: string,
    env?: Record<string, string>,
    local?: Partial<SimulatorOptions>,
  ): Promise<Attendee>;
  stopRelay(): Promise<void>;
  startRelay(): Promise<void>;
  close(): Promise<void>;
};

async function listen(server: Server, port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

/**
 * `serverless`: the relay reaches the GPU as a serverless endpoint (cold starts retried within
 * COLD_START_BUDGET_S, outputs read from the shared folder) instead of as a direct ComfyUI.
 * `relayEnv`: more relay variables (e.g. `COLD_START_BUDGET_S`).
 */
export type StackOptions = {
  gpu?: Partial<SimulatorOptions>;
  serverless?: boolean;
  relayEnv?: Record<string, string>;
  /** The Redis to start (e.g. `{persistence: false}` with `relayEnv: {REDIS_VOLATILE_OK: '1'}`). */
  redis?: StartRedisOptions;
  /** A built dashboard for the relay to serve at /admin/ (tests that drive it in a browser). */
  adminDistDir?: string;
};

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const root = await mkdtemp(join(tmpdir(), 'comfyume-sidecar-it-'));
  const redis = await startRedis(options.redis);
  const prefix = redis.prefix();
  const gpu = await startSimulator({
    port: 0,
    outputDir: join(root, 'gpu/output'),
    inputDir: join(root, 'gpu/input'),
    tempDir: join(root, 'gpu/temp'),
    stepMs: 20,
    ...options.gpu,
  });
  const relayConfig = loadRelayConfig({
    REDIS_URL: redis.url,
    REDIS_PREFIX: prefix,
    ...(options.serverless
      ? {
          INFERENCE_MODE: 'serverless',
          SERVERLESS_ENDPOINT: gpu.url,
          SFS_OUTPUT_DIR: join(root, 'gpu/output'),
          SFS_INPUT_DIR: join(root, 'gpu/input'),
          SFS_POLL_MS: '100',
          SERVERLESS_HISTORY_POLL_MS: '200',
          SERVERLESS_SETTLE_MS: '300',
        }
      : { INFERENCE_MODE: 'direct', COMFYUI_GPU_URLS: gpu.url }),
    RELAY_SECRET,
    ADMIN_TOKEN,
    OUTPUT_DIR: join(root, 'relay/outputs'),
    LOG_LEVEL: 'silent',
    RELAY_PORT: '0',
    ...options.relayEnv,
  });
  let relay = await createRelay(relayConfig, {
    socketHeartbeatMs: 2_000,
    adminDistDir: options.adminDistDir,
  });
  await relay.start();
  const relayPort = await listen(relay.server);
  const relayUrl = `http://127.0.0.1:${relayPort}`;
  const attendees: Attendee[] = [];
  let relayRunning = true;

  return {
    redis,
    gpu,
    relayUrl,
    relayPort,
    get relay() {
      return relay;
    },
    root,
    async attendee(userId, env = {}, localOptions = {}) {
      const base = join(root, userId);
      const dirs = {
        input: join(base, 'input'),
        output: join(base, 'output'),
        temp: join(base, 'temp'),
        state: join(base, 'state'),
      };
      const local = await startSimulator({
        port: 0,
        outputDir: dirs.output,
        inputDir: dirs.input,
        tempDir: dirs.temp,
        stepMs: 20,
        ...localOptions,
      });
      const config = loadConfig({
        SIDECAR_LISTEN: '127.0.0.1:0',
        COMFYUI_URL: local.url,
        RELAY_URL: relayUrl,
        USER_ID: userId,
        RELAY_TOKEN: mintUserToken(RELAY_SECRET, userId),
        COMFYUI_OUTPUT_DIR: dirs.output,
        COMFYUI_TEMP_DIR: dirs.temp,
        COMFYUI_INPUT_DIR: dirs.input,
        SIDECAR_STATE_DIR: dirs.state,
        SIDECAR_SYNTH_GRACE_MS: '300',
        SIDECAR_RELAY_TIMEOUT_MS: '3000',
        LOG_LEVEL: 'silent',
        ...env,
      });
      const sidecar = createSidecar(config);
      const port = await listen(sidecar.server);
      const attendee: Attendee = {
        userId,
        url: `http://127.0.0.1:${port}`,
        local,
        sidecar,
        dirs,
        async close() {
          await sidecar.close();
          await new Promise<void>((resolve) => sidecar.server.close(() => resolve()));
          await local.close();
        },
      };
      attendees.push(attendee);
      return attendee;
    },
    async stopRelay() {
      if (!relayRunning) return;
      relayRunning = false;
      await relay.close();
    },
    async startRelay() {
      if (relayRunning) return;
      relay = await createRelay(relayConfig, {
        socketHeartbeatMs: 2_000,
        adminDistDir: options.adminDistDir,
      });
      await relay.start();
      await listen(relay.server, relayPort);
      relayRunning = true;
    },
    async close() {
      for (const attendee of attendees.splice(0)) await attendee.close().catch(() => undefined);
      if (relayRunning) await relay.close().catch(() => undefined);
      await gpu.close();
      await redis.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}

export type Received = { type: string; data: Record<string, unknown> } | { binary: Buffer };

/** A browser tab's socket: sends the frontend's feature_flags first, records every frame. */
export class TabSocket {
  readonly frames: Received[] = [];
  private waiters: (() => void)[] = [];
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
      this.frames.push(
        isBinary ? { binary: bytes } : (JSON.parse(bytes.toString('utf8')) as Received),
      );
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static async open(
    baseUrl: string,
    clientId?: string,
    flags: Record<string, unknown> = {
      supports_preview_metadata: true,
      supports_manager_v4_ui: true,
    },
  ): Promise<TabSocket> {
    const url = `${baseUrl.replace(/^http/, 'ws')}/ws${clientId ? `?clientId=${clientId}` : ''}`;
    const ws = new WebSocket(url, { headers: { origin: baseUrl } });
    const tab = new TabSocket(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send(JSON.stringify({ type: 'feature_flags', data: flags }));
    // The server's first frames: status (with sid), then its feature_flags reply.
    await tab.until(
      () =>
        tab.texts().some((m) => m.type === 'status') &&
        tab.texts().some((m) => m.type === 'feature_flags'),
    );
    return tab;
  }

  texts(): { type: string; data: Record<string, unknown> }[] {
    return this.frames.filter(
      (f): f is { type: string; data: Record<string, unknown> } => 'type' in f,
    );
  }

  get sid(): string {
    return String(this.texts().find((m) => m.type === 'status' && m.data.sid)?.data.sid);
  }

  async until(condition: () => boolean, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline)
        throw new Error(
          `timed out; frames so far: ${JSON.stringify(this.texts().map((m) => m.type))}`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for the end marker of a job. */
  untilEnd(promptId: string, timeoutMs?: number) {
    return this.until(
      () =>
        this.texts().some(
          (m) => m.type === 'executing' && m.data.node === null && m.data.prompt_id === promptId,
        ),
      timeoutMs,
    );
  }

  close() {
    this.ws.close();
  }
}

/** The body frontend 1.35's Run sent in the real 0.8.0 recording. */
export type RunBody = { prompt: Record<string, unknown>; extra_data: Record<string, unknown> };
export const recordedRunBody = readJson<{ request: { body: RunBody } }>(
  'real-0.8.0/frontend/post_prompt_1.json',
).request.body;

/** POST /api/prompt to an attendee's sidecar as that Run sent it, with `prompt` in place of the recorded one. */
export async function postRun(
  attendeeUrl: string,
  prompt: unknown,
  clientId: string,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${attendeeUrl}/api/prompt`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...recordedRunBody, prompt, client_id: clientId }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}
