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
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRelay, type Relay } from '../../relay/src/app';
import { mintUserToken } from '../../kit/user-token';
import { loadConfig as loadRelayConfig } from '../../relay/src/config';
import { createSidecar, type Sidecar } from '../../sidecar/src/app';
import { loadConfig as loadSidecarConfig } from '../../sidecar/src/config';
import {
  startSimulator,
  type RunningSimulator,
  type SimulatorOptions,
} from '../../simulator/src/app';
import { freePort } from '../../kit/free-port';
import { startSimulatedGpu } from './simulated-gpu';
import type { TestRedis } from '../../kit/redis-server';

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
      return {
        env: { INFERENCE_MODE: 'direct', COMFYUI_GPU_URLS: gpu.url },
        close: () => gpu.close(),
      };
    },
  },
  /** INFERENCE_MODE=simulated: the relay drives a simulator its caller started, as `comfyume up` without a GPU does. */
  simulated: {
    async start(_root, stepMs) {
      const gpu = await startSimulatedGpu({ stepMs });
      return { env: gpu.env, close: () => gpu.close() };
    },
  },
  /** Serverless with the GPU agent (issue 10): 3 replicas, a process each, behind a round-robin balancer. */
  'serverless-agent': {
    async start(root, stepMs) {
      const dirs = gpuDirs(root);
      const gpu = await startSimulator({ ...dirs, replicas: 3, agent: true, stepMs });
      const env = {
        INFERENCE_MODE: 'serverless',
        SERVERLESS_ENDPOINT: gpu.url,
        SFS_OUTPUT_DIR: dirs.outputDir,
        SFS_INPUT_DIR: dirs.inputDir,
        SFS_POLL_MS: '100',
      };
      return { env, close: () => gpu.close() };
    },
  },
} satisfies Record<string, ReplayMode>;

export type ModeName = keyof typeof modes;

/** One attendee: a simulated local ComfyUI and its sidecar. */
export type Attendee = {
  /** The attendee's sidecar, where the browser connects. */
  url: string;
  userId: string;
  /** The user's relay token (for reading the relay's record of a job). */
  token: string;
  local: RunningSimulator;
  /** The sidecar in this process; absent when it runs as its own process (`sidecarProcess`). */
  sidecar?: Sidecar;
  /** `comfyume sidecar` as a child process (option `childSidecar`), killable with -9 and restartable on the same port and state. */
  sidecarProcess?: { kill(): Promise<void>; start(): Promise<void> };
  dirs: { input: string; output: string; temp: string; state: string };
};

/** `local`: options of the attendee's simulated ComfyUI (e.g. `web` to serve a real frontend build). */
export type AttendeeOptions = {
  sidecarEnv?: Record<string, string>;
  childSidecar?: boolean;
  local?: Partial<SimulatorOptions>;
};

/** The platform with its first attendee (its fields at the top level); `attendee()` adds more on the same relay. */
export type ReplayStack = Attendee & {
  relayUrl: string;
  relay: Relay;
  attendee(userId: string, options?: AttendeeOptions): Promise<Attendee>;
  close(): Promise<void>;
};

const BIN = join(import.meta.dirname, '../../bin/comfyume.js');

/** `comfyume sidecar` as deployed, one process at a time on `port`; `kill` is SIGKILL (nothing flushed). */
function sidecarProcess(port: number, env: Record<string, string>) {
  let child: ChildProcess | undefined;
  let stderr = '';
  const url = `http://127.0.0.1:${port}`;
  const kill = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGKILL');
    await exited;
  };
  const start = async () => {
    stderr = '';
    const started = spawn(process.execPath, [BIN, 'sidecar'], {
      env: { ...process.env, ...env, SIDECAR_LISTEN: `127.0.0.1:${port}` },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = started;
    started.stderr?.on(
      'data',
      (chunk: Buffer) => (stderr = (stderr + String(chunk)).slice(-4_000)),
    );
    for (;;) {
      if (started.exitCode !== null)
        throw new Error(`the sidecar exited (${started.exitCode}): ${stderr}`);
      const up = await fetch(`${url}/api/queue`).then(
        (r) => r.ok,
        () => false,
      );
      if (up) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return { url, kill, start };
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

const closeServer = (server: Server) =>
  new Promise<void>((resolve) => server.close(() => resolve()));

/** A simulated local ComfyUI and its sidecar for `userId`, talking to the relay at `relayUrl`. */
async function startAttendee(
  root: string,
  relayUrl: string,
  userId: string,
  options: AttendeeOptions,
  cleanups: (() => Promise<void>)[],
): Promise<Attendee> {
  const at = join(root, userId);
  const dirs = {
    input: join(at, 'input'),
    output: join(at, 'output'),
    temp: join(at, 'temp'),
    state: join(at, 'sidecar'),
  };
  const local = await startSimulator({
    outputDir: dirs.output,
    inputDir: dirs.input,
    tempDir: dirs.temp,
    stepMs: 20,
    ...options.local,
  });
  cleanups.push(() => local.close());
  const token = mintUserToken(RELAY_SECRET, userId);
  const env = {
    COMFYUI_URL: local.url,
    RELAY_URL: relayUrl,
    USER_ID: userId,
    RELAY_TOKEN: token,
    COMFYUI_OUTPUT_DIR: dirs.output,
    COMFYUI_TEMP_DIR: dirs.temp,
    COMFYUI_INPUT_DIR: dirs.input,
    SIDECAR_STATE_DIR: dirs.state,
    LOG_LEVEL: 'silent',
    ...options.sidecarEnv,
  };
  if (options.childSidecar) {
    const child = sidecarProcess(await freePort(), env);
    cleanups.push(() => child.kill());
    await child.start();
    return { url: child.url, userId, token, local, dirs, sidecarProcess: child };
  }
  const sidecar = createSidecar(loadSidecarConfig({ ...env, SIDECAR_LISTEN: '127.0.0.1:0' }));
  cleanups.push(async () => {
    await sidecar.close();
    await closeServer(sidecar.server);
  });
  return {
    url: `http://127.0.0.1:${await listen(sidecar.server)}`,
    userId,
    token,
    local,
    dirs,
    sidecar,
  };
}

/** GPU side + relay + one attendee, all fresh; `stepMs` is the simulated GPU's time per slow step. */
export async function startReplayStack(
  mode: ReplayMode,
  redis: TestRedis,
  options: AttendeeOptions & { stepMs: number; userId?: string },
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
    const first = await startAttendee(
      root,
      relayUrl,
      options.userId ?? 'user001',
      options,
      cleanups,
    );
    return {
      ...first,
      relayUrl,
      relay,
      attendee: (userId, more = {}) => startAttendee(root, relayUrl, userId, more, cleanups),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
