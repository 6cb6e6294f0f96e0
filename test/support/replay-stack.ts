/**
 * @fileoverview One fresh platform per replay, on real sockets: a GPU side chosen by the mode, a real
 * relay on real Redis, and one attendee (a simulated local ComfyUI with its sidecar). Fresh per
 * replay so no GPU cache, queue number or output counter leaks from one recording into the next.
 *
 * A mode is the GPU side and the relay environment that points at it. Adding one is a few lines:
 *
 *   'serverless-agent': {
 *     async start(root, stepMs) {
 *       const gpu = await startSimulator({ ...gpuDirs(root), replicas: 3, agent: true, stepMs });
 *       return { env: { INFERENCE_MODE: 'serverless', SERVERLESS_ENDPOINT: gpu.url, SFS_OUTPUT_DIR: gpuDirs(root).outputDir }, close: () => gpu.close() };
 *     },
 *   },
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRelay, type Relay } from '../../relay/src/app';
import { mintUserToken } from '../../relay/src/auth';
import { loadConfig as loadRelayConfig } from '../../relay/src/config';
import { createSidecar, type Sidecar } from '../../sidecar/src/app';
import { loadConfig as loadSidecarConfig } from '../../sidecar/src/config';
import { startSimulator, type RunningSimulator } from '../../simulator/src/app';
import type { TestRedis } from './redis';

const RELAY_SECRET = 'replay-relay-secret-0123456789';
const ADMIN_TOKEN = 'replay-admin-token-0123456789';

/** The GPU side of a mode: what the relay's environment must say to use it, and how to stop it. */
export type GpuSide = { env: Record<string, string>; close(): Promise<void> };
export type ReplayMode = { start(root: string, stepMs: number): Promise<GpuSide> };

/** The GPU's own folders under a replay's root (the shared volume in serverless modes). */
export const gpuDirs = (root: string) => ({
  outputDir: join(root, 'gpu/output'),
  inputDir: join(root, 'gpu/input'),
  tempDir: join(root, 'gpu/temp'),
});

export const modes = {
  /** INFERENCE_MODE=direct: the relay drives a ComfyUI (here the simulator) over its HTTP API and WebSocket. */
  direct: {
    async start(root, stepMs) {
      const gpu = await startSimulator({ ...gpuDirs(root), stepMs });
      return { env: { INFERENCE_MODE: 'direct', COMFYUI_GPU_URLS: gpu.url }, close: () => gpu.close() };
    },
  },
  /** INFERENCE_MODE=simulated: the relay starts the simulator in-process (`comfyume up` without a GPU). */
  simulated: {
    async start(_root, stepMs) {
      return { env: { INFERENCE_MODE: 'simulated', SIMULATOR_STEP_MS: String(stepMs) }, close: async () => {} };
    },
  },
} satisfies Record<string, ReplayMode>;

export type ModeName = keyof typeof modes;

export type ReplayStack = {
  /** The attendee's sidecar, where the browser connects. */
  url: string;
  userId: string;
  relay: Relay;
  local: RunningSimulator;
  sidecar: Sidecar;
  dirs: { input: string; output: string; temp: string; state: string };
  close(): Promise<void>;
};

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

const closeServer = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

/** GPU side + relay + one attendee, all fresh; `stepMs` is the simulated GPU's time per slow step. */
export async function startReplayStack(
  mode: ReplayMode,
  redis: TestRedis,
  options: { stepMs: number; userId?: string; sidecarEnv?: Record<string, string> },
): Promise<ReplayStack> {
  const root = await mkdtemp(join(tmpdir(), 'comfyume-replay-'));
  const cleanups: (() => Promise<void>)[] = [() => rm(root, { recursive: true, force: true })];
  const close = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const gpu = await mode.start(root, options.stepMs);
    cleanups.push(() => gpu.close());
    const relay = await createRelay(
      loadRelayConfig({
        REDIS_URL: redis.url,
        REDIS_PREFIX: redis.prefix(),
        RELAY_SECRET,
        ADMIN_TOKEN,
        OUTPUT_DIR: join(root, 'relay/outputs'),
        RELAY_INPUT_DIR: join(root, 'relay/inputs'),
        LOG_LEVEL: 'silent',
        ...gpu.env,
      }),
      { socketHeartbeatMs: 2_000 },
    );
    cleanups.push(() => relay.close());
    await relay.start();
    const relayUrl = `http://127.0.0.1:${await listen(relay.server)}`;

    const userId = options.userId ?? 'user001';
    const dirs = { input: join(root, 'local/input'), output: join(root, 'local/output'), temp: join(root, 'local/temp'), state: join(root, 'sidecar') };
    const local = await startSimulator({ outputDir: dirs.output, inputDir: dirs.input, tempDir: dirs.temp, stepMs: 20 });
    cleanups.push(() => local.close());
    const sidecar = createSidecar(
      loadSidecarConfig({
        SIDECAR_LISTEN: '127.0.0.1:0',
        COMFYUI_URL: local.url,
        RELAY_URL: relayUrl,
        USER_ID: userId,
        RELAY_TOKEN: mintUserToken(RELAY_SECRET, userId),
        COMFYUI_OUTPUT_DIR: dirs.output,
        COMFYUI_TEMP_DIR: dirs.temp,
        COMFYUI_INPUT_DIR: dirs.input,
        SIDECAR_STATE_DIR: dirs.state,
        LOG_LEVEL: 'silent',
        ...options.sidecarEnv,
      }),
    );
    cleanups.push(async () => {
      await sidecar.close();
      await closeServer(sidecar.server);
    });
    const url = `http://127.0.0.1:${await listen(sidecar.server)}`;
    return { url, userId, relay, local, sidecar, dirs, close };
  } catch (error) {
    await close();
    throw error;
  }
}
