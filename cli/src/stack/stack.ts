/**
 * @fileoverview The whole workshop on one machine, each part a child process started through the
 * product's own CLI: Redis → (simulated GPU) → relay → (Prometheus) → per attendee a ComfyUI (the
 * simulator unless a real one is given) and its sidecar → nginx. Each is health-waited before the next depends on
 * it; stop() takes them down in reverse order and waits for every one to exit.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { sidecarNodeEnv, sidecarNodeFlags } from '../../../bin/sidecar-start.js';
import { cliBin, repoPath } from '../paths';
import { mintUserToken } from '../../../kit/user-token';
import type { WorkshopUser } from '../users/generate';
import { localNginxOptions, startLocalNginx } from './nginx';
import { startLocalPrometheus } from './prometheus';
import { startPullWorkers } from './pull-workers';
import { freePort } from '../../../kit/free-port';
import { httpOk, portOpen, spawnManaged, waitUntil, type ManagedProcess } from './processes';
import type { UpConfig } from './up-config';

export type RunningAttendee = {
  id: string;
  sidecarUrl: string;
  comfyuiUrl: string;
  nginxUrl?: string;
  password: string;
};

export type Stack = {
  redisUrl: string;
  relayUrl: string;
  gpuUrl?: string;
  nginxUrl?: string;
  prometheusUrl?: string;
  attendees: RunningAttendee[];
  processes: ManagedProcess[];
  /** Resolves with the first process that exits on its own (a crash), for `up` to report. */
  firstExit: Promise<ManagedProcess>;
  stop: () => Promise<void>;
};

export type StackInputs = {
  config: UpConfig;
  relaySecret: string;
  adminToken: string;
  users: readonly WorkshopUser[];
  usersDir: string;
  /** A new step begins (the previous one is done). */
  onStep?: (message: string) => void;
  /** Attendee start-up: `ready` of `total` answer, the last one being `id`. */
  onAttendeeReady?: (ready: number, total: number, id: string) => void;
};

const STARTUP_TIMEOUT_MS = 90_000;

/** The built custom node (npx vite build) served like ComfyUI serves WEB_DIRECTORY, and a frontend if given. */
function attendeeWebArgs(config: UpConfig): string[] {
  const extension = repoPath('dist', 'comfyume-extension', 'web');
  return [
    ...(existsSync(extension) ? ['--extension', `comfyume=${extension}`] : []),
    ...(config.webRoot ? ['--web-root', config.webRoot] : []),
  ];
}

export async function startStack(inputs: StackInputs): Promise<Stack> {
  const { config } = inputs;
  const step = inputs.onStep ?? (() => {});
  const logs = join(config.dataDir, 'logs');
  await mkdir(logs, { recursive: true });
  const processes: ManagedProcess[] = [];
  let stopping = false;
  let reportExit!: (p: ManagedProcess) => void;
  const firstExit = new Promise<ManagedProcess>((resolve) => (reportExit = resolve));
  const echo = config.verbose ? process.stdout : undefined;

  const watch = (proc: ManagedProcess) => {
    processes.push(proc);
    void proc.exited.then(() => {
      if (!stopping) reportExit(proc);
    });
  };
  const launch = (
    name: string,
    command: string,
    args: string[],
    env: Record<string, string> = {},
  ) => {
    const proc = spawnManaged(name, command, args, {
      env: { ...process.env, ...env },
      logFile: join(logs, `${name}.log`),
      echo,
    });
    watch(proc);
    return proc;
  };
  const cli = (name: string, args: string[], env: Record<string, string> = {}) =>
    launch(name, process.execPath, [cliBin, ...args], env);
  /** A sidecar with the node flags and allocator settings it is always started with. */
  const sidecarProcess = (name: string, env: Record<string, string>) =>
    launch(name, process.execPath, [...sidecarNodeFlags, cliBin, 'sidecar'], {
      ...sidecarNodeEnv,
      ...env,
    });

  const stop = async () => {
    stopping = true;
    // Reverse start order: nginx and sidecars first, Redis last, so nothing writes into a dead store.
    for (const proc of [...processes].reverse()) await proc.stop();
  };

  try {
    // Redis
    let redisUrl = config.redisUrl;
    if (!redisUrl) {
      const port = await freePort(config.host);
      const dir = join(config.dataDir, 'redis');
      await mkdir(dir, { recursive: true });
      step(`starting redis-server (data in ${dir})`);
      const redis = launch('redis', 'redis-server', [
        '--port',
        String(port),
        '--bind',
        config.host,
        '--dir',
        dir,
        '--appendonly',
        'yes',
        '--protected-mode',
        'no',
      ]);
      await waitUntil('redis', () => portOpen(port, config.host), {
        process: redis,
        timeoutMs: 20_000,
      });
      redisUrl = `redis://${config.host}:${port}`;
    }

    // The simulated GPU. Serverless: k replicas behind one port sharing one output folder, like the
    // serverless endpoint. Direct: k separate GPUs, each its own ComfyUI (a direct backend follows
    // one ComfyUI's queue and history, which a round-robin port would split between replicas).
    const relayEnv: Record<string, string> = { ...config.relayEnv };
    let gpuUrl: string | undefined;
    if (config.gpu === 'simulated') {
      const gpuDir = join(config.dataDir, 'gpu');
      const serverless = config.simulatedVia === 'serverless';
      const startGpu = async (name: string, dir: string, replicas: number): Promise<string> => {
        const port = await freePort(config.host);
        const gpu = cli(name, [
          'simulate',
          ...(serverless ? ['--agent'] : []), // every replica runs the GPU agent (journals, heartbeats, cancel markers), as in production
          '--host',
          config.host,
          '--port',
          String(port),
          '--replicas',
          String(replicas),
          '--output-dir',
          join(dir, 'output'),
          '--input-dir',
          join(dir, 'input'),
          '--temp-dir',
          join(dir, 'temp'),
          '--step-ms',
          String(config.stepMs),
          '--cold-start-ms',
          String(config.coldStartMs),
        ]);
        const url = `http://${config.host}:${port}`;
        await waitUntil(`simulated GPU ${name}`, () => httpOk(`${url}/system_stats`), {
          process: gpu,
          timeoutMs: STARTUP_TIMEOUT_MS,
        });
        return url;
      };
      step(
        config.workers > 0
          ? `starting ${config.workers} simulated GPU(s) for pull workers (${config.stepMs} ms/step)`
          : serverless
            ? `starting the simulated GPU (${config.simulatorReplicas} replica(s), ${config.stepMs} ms/step)`
            : `starting ${config.simulatorReplicas} simulated GPU(s) (${config.stepMs} ms/step)`,
      );
      if (config.workers > 0) {
        // Pull workers: the GPUs are not reached by the relay; their workers connect out (below).
        const urls = await Promise.all(
          Array.from({ length: config.workers }, (_, i) =>
            startGpu(`gpu-${i + 1}`, join(gpuDir, String(i + 1)), 1),
          ),
        );
        gpuUrl = urls.join(',');
        relayEnv.INFERENCE_MODE = 'workers';
      } else if (serverless) {
        gpuUrl = await startGpu('gpu', gpuDir, config.simulatorReplicas);
        Object.assign(relayEnv, {
          INFERENCE_MODE: 'serverless',
          SERVERLESS_ENDPOINT: gpuUrl,
          SFS_OUTPUT_DIR: join(gpuDir, 'output'),
          SFS_INPUT_DIR: join(gpuDir, 'input'),
        });
      } else {
        const urls = await Promise.all(
          Array.from({ length: config.simulatorReplicas }, (_, i) =>
            startGpu(`gpu-${i + 1}`, join(gpuDir, String(i + 1)), 1),
          ),
        );
        gpuUrl = urls.join(',');
        Object.assign(relayEnv, { INFERENCE_MODE: 'direct', COMFYUI_GPU_URLS: gpuUrl });
      }
    } else relayEnv.INFERENCE_MODE = config.gpu;

    // Relay
    const relayPort = config.relayPort || (await freePort(config.host));
    const relayUrl = `http://${config.host}:${relayPort}`;
    step(`starting the relay (${relayEnv.INFERENCE_MODE}) on ${relayUrl}`);
    const relay = cli('relay', ['relay'], {
      ...relayEnv,
      REDIS_URL: redisUrl,
      RELAY_HOST: config.host,
      RELAY_PORT: String(relayPort),
      RELAY_SECRET: inputs.relaySecret,
      ADMIN_TOKEN: inputs.adminToken,
      OUTPUT_DIR: join(config.dataDir, 'relay-outputs'),
    });
    // With only pull workers, /health says 503 (no GPU) until they connect, after the relay is up.
    const relayAnswers = () =>
      relayEnv.INFERENCE_MODE === 'workers'
        ? fetch(`${relayUrl}/health`).then((r) => r.status === 200 || r.status === 503)
        : httpOk(`${relayUrl}/health`);
    await waitUntil('relay', relayAnswers, {
      process: relay,
      timeoutMs: STARTUP_TIMEOUT_MS,
    });

    if (relayEnv.INFERENCE_MODE === 'workers' && gpuUrl) {
      step(`starting ${config.workers} pull worker(s), one beside each simulated GPU`);
      await startPullWorkers(gpuUrl.split(','), relayUrl, inputs.relaySecret, cli);
    }

    // Prometheus, scraping the relay (and so filling the dashboard while attendees start).
    let prometheusUrl: string | undefined;
    if (config.monitoring) {
      step(`starting Prometheus on ${config.host}:${config.prometheusPort}`);
      const prometheus = await startLocalPrometheus({
        host: config.host,
        port: config.prometheusPort,
        relayTargets: [new URL(relayUrl).host],
        metricsToken: inputs.adminToken,
        dir: join(config.dataDir, 'prometheus'),
        logFile: join(logs, 'prometheus.log'),
        echo,
      });
      watch(prometheus.process);
      prometheusUrl = prometheus.url;
    }

    // Attendees: a few at a time, so 20 Node processes do not all compile TypeScript at once on 2 cores.
    step(`starting ${inputs.users.length} attendee(s)`);
    const limit = pLimit(3);
    let ready = 0;
    inputs.onAttendeeReady?.(0, inputs.users.length, '');
    const attendees = await Promise.all(
      inputs.users.map((user, index) =>
        limit(async (): Promise<RunningAttendee> => {
          const dir = join(config.dataDir, 'attendees', user.id);
          const folders = {
            output: join(dir, 'output'),
            input: join(dir, 'input'),
            temp: join(dir, 'temp'),
          };
          let comfyuiUrl = config.attendeeComfyUrls[index];
          if (!comfyuiUrl) {
            const port = await freePort(config.host);
            const sim = cli(`${user.id}-comfyui`, [
              'simulate',
              '--host',
              config.host,
              '--port',
              String(port),
              '--output-dir',
              folders.output,
              '--input-dir',
              folders.input,
              '--temp-dir',
              folders.temp,
              '--step-ms',
              String(config.stepMs),
              ...attendeeWebArgs(config),
            ]);
            comfyuiUrl = `http://${config.host}:${port}`;
            await waitUntil(`${user.id}'s ComfyUI`, () => httpOk(`${comfyuiUrl}/system_stats`), {
              process: sim,
              timeoutMs: STARTUP_TIMEOUT_MS,
            });
          }
          const port = await freePort(config.host);
          const sidecar = sidecarProcess(`${user.id}-sidecar`, {
            SIDECAR_LISTEN: `${config.host}:${port}`,
            // nginx passes /userNNN/… unchanged (encoded slashes intact); the sidecar strips it.
            SIDECAR_BASE_PATH: `/${user.id}`,
            COMFYUI_URL: comfyuiUrl,
            RELAY_URL: relayUrl,
            USER_ID: user.id,
            RELAY_TOKEN: mintUserToken(inputs.relaySecret, user.id),
            COMFYUI_OUTPUT_DIR: folders.output,
            COMFYUI_INPUT_DIR: folders.input,
            COMFYUI_TEMP_DIR: folders.temp,
            SIDECAR_STATE_DIR: join(dir, 'sidecar'),
          });
          const sidecarUrl = `http://${config.host}:${port}`;
          await waitUntil(`${user.id}'s sidecar`, () => httpOk(`${sidecarUrl}/api/system_stats`), {
            process: sidecar,
            timeoutMs: STARTUP_TIMEOUT_MS,
          });
          inputs.onAttendeeReady?.(++ready, inputs.users.length, user.id);
          return { id: user.id, sidecarUrl, comfyuiUrl, password: user.password };
        }),
      ),
    );

    // nginx
    let nginxUrl: string | undefined;
    if (config.nginx) {
      step(`starting nginx on port ${config.nginxPort}`);
      const nginx = await startLocalNginx(
        localNginxOptions({
          port: config.nginxPort,
          users: attendees.map((a) => ({ id: a.id, upstream: new URL(a.sidecarUrl).host })),
          usersDir: inputs.usersDir,
          relayUpstream: new URL(relayUrl).host,
          adminToken: inputs.adminToken,
        }),
        join(config.dataDir, 'up', 'nginx'),
        { logFile: join(logs, 'nginx.log'), echo },
      );
      watch(nginx.process);
      nginxUrl = `http://localhost:${config.nginxPort}`;
      for (const a of attendees) a.nginxUrl = `${nginxUrl}/${a.id}/`;
    }
    return {
      redisUrl,
      relayUrl,
      gpuUrl,
      nginxUrl,
      prometheusUrl,
      attendees,
      processes,
      firstExit,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
