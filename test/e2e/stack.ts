/**
 * @fileoverview The whole ComfyuME chain for the e2e suite, in-process on loopback port 0:
 * redis-server → simulated GPU (serverless endpoint with cold starts, or a direct ComfyUI) →
 * relay → the attendee's "ComfyUI" (a simulator serving the harness as its web root and our
 * built custom node at /extensions/comfyume/, exactly where ComfyUI serves a WEB_DIRECTORY) →
 * the attendee's sidecar in front of it. The browser opens the sidecar, as in production.
 *
 * With BASE_URL set, nothing is started: the suite runs against that live deployment.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRelay } from '../../relay/src/app';
import { mintUserToken } from '../../kit/user-token';
import { loadConfig as loadRelayConfig } from '../../relay/src/config';
import { createSidecar } from '../../sidecar/src/app';
import { loadConfig as loadSidecarConfig } from '../../sidecar/src/config';
import { startSimulator, type SimulatorOptions } from '../../simulator/src/app';
import { buildHarnessPage, defaultExtensionDir } from '../../workshop-page/server';
import { startRedis } from '../../kit/redis-server';

const repo = path.resolve(import.meta.dirname, '../..');
const SECRET = 'e2e-relay-secret-0123456789';
const ADMIN = 'e2e-admin-token-0123456789';

export type E2EStack = {
  /** The attendee's UI (sidecar), with a trailing slash. */
  url: string;
  /** Basic-auth credentials for a live deployment (BASE_USER / BASE_PASSWORD). */
  httpCredentials?: { username: string; password: string };
  live: boolean;
  /**
   * Scales the GPU to zero: a new simulated GPU on the same port that answers 503 (what a
   * serverless load balancer does while a replica boots) until `warmGpu()` — so a test ends the
   * cold start when it has seen "warming up", however slow the machine. Stack only.
   */
  coldStartGpu(): Promise<void>;
  /** Ends the cold start `coldStartGpu()` began. */
  warmGpu(): void;
  close(): Promise<void>;
};

export type StackOptions = {
  mode: 'serverless' | 'direct';
  gpu?: Partial<SimulatorOptions>;
  userId?: string;
};

/**
 * The live deployment to test, if any: BASE_URL (or E2E_BASE_URL) when it is an absolute http(s)
 * URL. Vitest itself sets BASE_URL="/" (Vite's base), which means "no live deployment".
 */
export function liveBaseUrl(): string | undefined {
  return [process.env.E2E_BASE_URL, process.env.BASE_URL].find((u) => u && /^https?:\/\//.test(u));
}

/** Builds the custom node the way CI does (NODE_ENV: vitest's "test" must not leak into it). */
export function buildExtension(): void {
  execFileSync('npx', ['vite', 'build', '--logLevel', 'warn'], {
    cwd: repo,
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'production' },
  });
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

export async function startE2EStack(options: StackOptions): Promise<E2EStack> {
  const base = liveBaseUrl();
  if (base) {
    const user = process.env.BASE_USER;
    return {
      url: base.endsWith('/') ? base : `${base}/`,
      httpCredentials: user
        ? { username: user, password: process.env.BASE_PASSWORD ?? '' }
        : undefined,
      live: true,
      coldStartGpu: async () => {
        throw new Error('coldStartGpu needs the local stack (BASE_URL is set)');
      },
      warmGpu: () => {
        throw new Error('warmGpu needs the local stack (BASE_URL is set)');
      },
      close: async () => undefined,
    };
  }
  buildExtension();
  const webRoot = await buildHarnessPage();
  const root = await mkdtemp(path.join(tmpdir(), 'comfyume-e2e-'));
  const closers: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const fn of closers.reverse()) await fn().catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  };
  try {
    const redis = await startRedis();
    closers.push(() => redis.stop());
    const gpuDirs = {
      outputDir: path.join(root, 'gpu/output'),
      inputDir: path.join(root, 'gpu/input'),
      tempDir: path.join(root, 'gpu/temp'),
    };
    let gpu = await startSimulator({ port: 0, stepMs: 20, ...gpuDirs, ...options.gpu });
    closers.push(() => gpu.close());
    const gpuPort = gpu.port;
    const coldStartGpu = async () => {
      await gpu.close();
      // Cold for longer than any test waits: only warmGpu() ends it.
      gpu = await startSimulator({
        stepMs: 20,
        ...gpuDirs,
        ...options.gpu,
        port: gpuPort,
        coldStartMs: 60 * 60_000,
      });
    };
    const warmGpu = () => gpu.gate.warmNow();
    const modeEnv: Record<string, string> =
      options.mode === 'serverless'
        ? {
            INFERENCE_MODE: 'serverless',
            SERVERLESS_ENDPOINT: gpu.url,
            SFS_OUTPUT_DIR: gpuDirs.outputDir,
            SFS_INPUT_DIR: gpuDirs.inputDir,
            SFS_POLL_MS: '100',
            SERVERLESS_HISTORY_POLL_MS: '200',
            SERVERLESS_SETTLE_MS: '300',
          }
        : { INFERENCE_MODE: 'direct', COMFYUI_GPU_URLS: gpu.url };
    const relay = await createRelay(
      loadRelayConfig({
        REDIS_URL: redis.url,
        REDIS_PREFIX: redis.prefix(),
        RELAY_SECRET: SECRET,
        ADMIN_TOKEN: ADMIN,
        OUTPUT_DIR: path.join(root, 'relay/outputs'),
        LOG_LEVEL: 'silent',
        RELAY_PORT: '0',
        MAX_QUEUED_PER_USER: '0',
        MAX_RUNNING_PER_USER: '1',
        ...modeEnv,
      }),
      { socketHeartbeatMs: 2_000 },
    );
    await relay.start();
    closers.push(() => relay.close());
    const relayUrl = `http://127.0.0.1:${await listen(relay.server)}`;

    const userId = options.userId ?? 'user001';
    const dirs = {
      input: path.join(root, userId, 'input'),
      output: path.join(root, userId, 'output'),
      temp: path.join(root, userId, 'temp'),
    };
    const local = await startSimulator({
      port: 0,
      outputDir: dirs.output,
      inputDir: dirs.input,
      tempDir: dirs.temp,
      stepMs: 20,
      web: { webRoot, extensionDirs: { comfyume: defaultExtensionDir } },
    });
    closers.push(() => local.close());
    const sidecar = createSidecar(
      loadSidecarConfig({
        SIDECAR_LISTEN: '127.0.0.1:0',
        COMFYUI_URL: local.url,
        RELAY_URL: relayUrl,
        USER_ID: userId,
        RELAY_TOKEN: mintUserToken(SECRET, userId),
        COMFYUI_OUTPUT_DIR: dirs.output,
        COMFYUI_TEMP_DIR: dirs.temp,
        COMFYUI_INPUT_DIR: dirs.input,
        SIDECAR_STATE_DIR: path.join(root, userId, 'state'),
        LOG_LEVEL: 'silent',
      }),
    );
    const port = await listen(sidecar.server);
    closers.push(async () => {
      await sidecar.close();
      sidecar.server.closeAllConnections();
      await new Promise<void>((resolve) => sidecar.server.close(() => resolve()));
    });
    return { url: `http://127.0.0.1:${port}/`, live: false, coldStartGpu, warmGpu, close };
  } catch (err) {
    await close();
    throw err;
  }
}
