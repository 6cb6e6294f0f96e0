/**
 * @fileoverview The benchmark rig, all on 127.0.0.1: a real redis-server, a simulated GPU ComfyUI,
 * a relay in direct mode in front of it, and an attendee (a simulated local ComfyUI with its
 * sidecar). "Stock ComfyUI" is a simulator doing the work directly; "platform" is the same work
 * through sidecar → relay → GPU simulator. Everything listens on port 0 and is torn down by close().
 */
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
import { startRedis, type TestRedis } from '../../kit/redis-server';

export const RELAY_SECRET = 'bench-relay-secret-0123456789abcdef';
export const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';

export const userToken = (userId: string) => mintUserToken(RELAY_SECRET, userId);

export type Dirs = { input: string; output: string; temp: string; state: string };

export type Attendee = {
  userId: string;
  /** The sidecar (what the browser talks to). */
  url: string;
  /** The attendee's local ComfyUI behind the sidecar. */
  local: RunningSimulator;
  dirs: Dirs;
  sidecar: Sidecar;
  close(): Promise<void>;
};

export type RelayRig = {
  relay: Relay;
  url: string;
  gpu: RunningSimulator;
  gpuDirs: Dirs;
  close(): Promise<void>;
};

export async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

const dirsUnder = (root: string): Dirs => ({
  input: join(root, 'input'),
  output: join(root, 'output'),
  temp: join(root, 'temp'),
  state: join(root, 'state'),
});

export function simulatorAt(
  root: string,
  options: Partial<SimulatorOptions> = {},
): Promise<RunningSimulator> {
  const dirs = dirsUnder(root);
  return startSimulator({
    port: 0,
    outputDir: dirs.output,
    inputDir: dirs.input,
    tempDir: dirs.temp,
    stepMs: 20,
    ...options,
  });
}

export type Rig = {
  root: string;
  redis: TestRedis;
  /** A relay (own Redis prefix) in direct mode in front of its own GPU simulator. */
  startRelay(
    name: string,
    gpu?: Partial<SimulatorOptions>,
    env?: Record<string, string>,
  ): Promise<RelayRig>;
  /** A local simulated ComfyUI plus an in-process sidecar for `userId` against `relayUrl`. */
  startAttendee(relayUrl: string, userId: string): Promise<Attendee>;
  close(): Promise<void>;
};

export async function startRig(): Promise<Rig> {
  const root = await mkdtemp(join(tmpdir(), 'comfyume-bench-'));
  const redis = await startRedis();
  const closers: (() => Promise<void>)[] = [];

  return {
    root,
    redis,
    async startRelay(name, gpuOptions = {}, env = {}) {
      const gpuDirs = dirsUnder(join(root, name, 'gpu'));
      const gpu = await simulatorAt(join(root, name, 'gpu'), gpuOptions);
      const config = loadRelayConfig({
        REDIS_URL: redis.url,
        REDIS_PREFIX: redis.prefix(),
        INFERENCE_MODE: 'direct',
        COMFYUI_GPU_URLS: gpu.url,
        RELAY_SECRET,
        ADMIN_TOKEN,
        OUTPUT_DIR: join(root, name, 'relay-outputs'),
        LOG_LEVEL: 'silent',
        RELAY_PORT: '0',
        MAX_QUEUED_PER_USER: '0',
        ...env,
      });
      const relay = await createRelay(config);
      await relay.start();
      const port = await listen(relay.server);
      let closed = false;
      const close = async () => {
        if (closed) return;
        closed = true;
        await relay.close().catch(() => undefined);
        await gpu.close().catch(() => undefined);
      };
      closers.push(close);
      return { relay, url: `http://127.0.0.1:${port}`, gpu, gpuDirs, close };
    },
    async startAttendee(relayUrl, userId) {
      const dirs = dirsUnder(join(root, 'attendees', userId));
      const local = await simulatorAt(join(root, 'attendees', userId));
      const config = loadSidecarConfig({
        SIDECAR_LISTEN: '127.0.0.1:0',
        COMFYUI_URL: local.url,
        RELAY_URL: relayUrl,
        USER_ID: userId,
        RELAY_TOKEN: userToken(userId),
        COMFYUI_OUTPUT_DIR: dirs.output,
        COMFYUI_TEMP_DIR: dirs.temp,
        COMFYUI_INPUT_DIR: dirs.input,
        SIDECAR_STATE_DIR: dirs.state,
        LOG_LEVEL: 'silent',
      });
      const sidecar = createSidecar(config);
      const port = await listen(sidecar.server);
      let closed = false;
      const close = async () => {
        if (closed) return;
        closed = true;
        await sidecar.close().catch(() => undefined);
        await new Promise<void>((resolve) => sidecar.server.close(() => resolve()));
        await local.close().catch(() => undefined);
      };
      closers.unshift(close); // sidecars go before the relays they talk to
      return { userId, url: `http://127.0.0.1:${port}`, local, dirs, sidecar, close };
    },
    async close() {
      for (const close of closers.splice(0)) await close();
      await redis.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}
