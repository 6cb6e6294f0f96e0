/**
 * @fileoverview startSimulator: k replicas (each a full simulated ComfyUI 0.27), shared folders and gate,
 * and with k > 1 a round-robin balancer on the public port. With `agent`, every replica runs the GPU
 * agent and lives in its own process (so one can be killed like a real replica), always behind the
 * balancer, which then also holds the gate.
 */
import { mkdirSync } from 'node:fs';
import pino, { type Logger } from 'pino';
import { abspath } from '../../kit/py-path';
import { Gate } from './gate';
import { startBalancer, type Balancer } from './balancer';
import { startReplica, type SimulatorReplica } from './replica';
import { startReplicaProcess, type ReplicaProcess } from './replica-processes';
import type { WebOptions } from './server/handlers/static';

export type { SimulatorReplica } from './replica';
export type { ReplicaProcess } from './replica-processes';

/** The GPU agent's settings in `simulate --agent` (the Python agent's COMFYUME_* variables). */
export type SimulatorAgentOptions = {
  heartbeatMs?: number;
  flushMs?: number;
  previewBudgetBytes?: number;
  maxPreviewBytes?: number;
  /** Replica ids: `<prefix><index>` (default "sim-gpu-"). */
  replicaIdPrefix?: string;
  /** Indices of replicas that run without the agent (a mixed fleet). */
  without?: number[];
};

export type SimulatorOptions = {
  host?: string;
  port?: number;
  outputDir: string;
  inputDir: string;
  tempDir: string;
  stepMs?: number;
  coldStartMs?: number;
  /** Scale to zero after this long without a request; the next one starts a new cold start (0: never). */
  scaleDownMs?: number;
  apiKey?: string;
  previewMethod?: 'none' | 'auto';
  /** Node classes this ComfyUI lacks (as if their custom node were not installed): `missing_node_type` here. */
  withoutNodeTypes?: string[];
  failures?: {
    failNodeTypes?: string[];
    http5xxBurst?: { status: 502 | 503; count: number };
    dropSocketsAfterMs?: number;
  };
  replicas?: number;
  /** A UI to serve at `/` and custom-node web dirs at `/extensions/<name>/` (ComfyUI's static routes). */
  web?: WebOptions;
  /** Logger (defaults to a silent one; the CLI passes its own). */
  logger?: Logger;
  /** Model files per folder (e.g. `{checkpoints: ['a.safetensors']}`); default: two simulated checkpoints. */
  models?: Record<string, string[]>;
  /** The ComfyUI version to report and answer POST /prompt errors as ('0.27.0' default; '0.8.0' for the older generation). */
  version?: string;
  /** Every replica runs the GPU agent, each in its own process (`simulate --agent`). */
  agent?: boolean | SimulatorAgentOptions;
  /** Log level of replica processes (default "silent"). */
  replicaLogLevel?: string;
};

export type RunningSimulator = {
  url: string;
  port: number;
  /** In-process replicas (empty with `agent`). */
  replicas: SimulatorReplica[];
  /** Replica processes (with `agent`). */
  processes: ReplicaProcess[];
  /** The round-robin balancer, when there is one. */
  balancer?: Balancer;
  /** What sits in front like a serverless load balancer: `gate.warm`, `gate.warmNow()` end a cold start on a state. */
  gate: Gate;
  close(): Promise<void>;
};

type Dirs = { output: string; input: string; temp: string };

/** A simulator whose replicas sit behind the balancer; closing stops the balancer first. */
const behind = (
  balancer: Balancer,
  replicas: Pick<RunningSimulator, 'replicas' | 'processes' | 'gate'>,
  stopReplicas: () => Promise<void>,
): RunningSimulator => ({
  url: balancer.url,
  port: balancer.port,
  ...replicas,
  balancer,
  close: async () => {
    await balancer.close();
    await stopReplicas();
  },
});

/** What every replica gets, in-process or in its own process. */
const replicaBase = (options: SimulatorOptions, index: number, host: string, dirs: Dirs) => ({
  index,
  host,
  dirs,
  stepMs: options.stepMs ?? 20,
  previewMethod: options.previewMethod ?? 'auto',
  failNodeTypes: options.failures?.failNodeTypes ?? [],
  withoutNodeTypes: options.withoutNodeTypes ?? [],
  dropSocketsAfterMs: options.failures?.dropSocketsAfterMs,
  web: options.web,
  models: options.models,
  version: options.version,
});

export async function startSimulator(options: SimulatorOptions): Promise<RunningSimulator> {
  const host = options.host ?? '127.0.0.1';
  const count = Math.max(1, options.replicas ?? 1);
  const log = options.logger ?? pino({ level: 'silent' });
  // ComfyUI works with absolute folders (its escape check compares against them).
  const dirs = {
    output: abspath(options.outputDir),
    input: abspath(options.inputDir),
    temp: abspath(options.tempDir),
  };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  const gate = new Gate({
    coldStartMs: options.coldStartMs ?? 0,
    scaleDownMs: options.scaleDownMs ?? 0,
    apiKey: options.apiKey,
    http5xxBurst: options.failures?.http5xxBurst,
  });
  if (options.agent) return startAgentReplicas(options, count, host, dirs, gate, log);

  const started: Array<Awaited<ReturnType<typeof startReplica>>> = [];
  const closeAll = async () => {
    await Promise.all(started.map((r) => r.close()));
  };
  try {
    for (let index = 0; index < count; index++) {
      started.push(
        await startReplica({
          ...replicaBase(options, index, host, dirs),
          port: count === 1 ? (options.port ?? 0) : 0,
          gate,
          log,
        }),
      );
    }
    const replicas = started.map((r) => r.replica);
    if (count === 1) {
      const only = replicas[0] as SimulatorReplica;
      return { url: only.url, port: only.port, replicas, processes: [], gate, close: closeAll };
    }
    const balancer = await startBalancer(
      host,
      options.port ?? 0,
      replicas.map((r) => r.url),
    );
    log.info({ url: balancer.url, replicas: count }, 'simulator listening');
    return behind(balancer, { replicas, processes: [], gate }, closeAll);
  } catch (error) {
    await closeAll();
    throw error;
  }
}

async function startAgentReplicas(
  options: SimulatorOptions,
  count: number,
  host: string,
  dirs: Dirs,
  gate: Gate,
  log: Logger,
): Promise<RunningSimulator> {
  const agent = typeof options.agent === 'object' ? options.agent : {};
  const processes: ReplicaProcess[] = [];
  const stopAll = () => Promise.all(processes.map((p) => p.stop()));
  try {
    const results = await Promise.allSettled(
      Array.from({ length: count }, (_, index) =>
        startReplicaProcess({
          ...replicaBase(options, index, host, dirs),
          port: 0,
          logLevel: options.replicaLogLevel ?? 'silent',
          agent: agent.without?.includes(index)
            ? undefined
            : {
                root: dirs.output,
                replicaId: `${agent.replicaIdPrefix ?? 'sim-gpu-'}${index}`,
                heartbeatMs: agent.heartbeatMs ?? 2000,
                flushMs: agent.flushMs ?? 100,
                previewBudgetBytes: agent.previewBudgetBytes ?? 8 << 20,
                maxPreviewBytes: agent.maxPreviewBytes ?? 1 << 20,
              },
        }),
      ),
    );
    for (const result of results) if (result.status === 'fulfilled') processes.push(result.value);
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    const started = [...processes].sort((a, b) => a.index - b.index);
    const balancer = await startBalancer(
      host,
      options.port ?? 0,
      started.map((p) => p.url),
      gate,
    );
    log.info(
      { url: balancer.url, replicas: count, pids: started.map((p) => p.pid) },
      'simulator listening (replicas with the GPU agent, one process each)',
    );
    return behind(
      balancer,
      { replicas: [], processes: started, gate },
      async () => void (await stopAll()),
    );
  } catch (error) {
    await stopAll();
    throw error;
  }
}
