/**
 * @fileoverview The three GPU paths the agent benchmark compares, side by side on one rig (one
 * redis-server, a relay per path, an attendee sidecar per path):
 * - direct: the relay drives one ComfyUI over its HTTP API and WebSocket;
 * - serverless: 3 replicas behind a round-robin balancer, no agent (history polls + files);
 * - serverless + agent: the same with the GPU agent on every replica (journals, heartbeats, markers).
 * Replicas run as processes so one can be killed with SIGKILL, and fail ImageBlur on purpose.
 * Stock ComfyUI is the direct path's GPU asked directly.
 */
import { join } from 'node:path';
import { createRelay } from '../../../relay/src/app';
import { loadConfig as loadRelayConfig } from '../../../relay/src/config';
import type { RunningSimulator } from '../../../simulator/src/app';
import { ADMIN_TOKEN, listen, RELAY_SECRET, simulatorAt, type Attendee, type Rig } from '../rig';

export type PathName = 'direct' | 'serverless' | 'agent';

export const PATH_LABELS: Record<PathName, string> = {
  direct: 'direct ComfyUI',
  serverless: 'serverless, no agent',
  agent: 'serverless + agent',
};

export type GpuPath = {
  name: PathName;
  /** The GPU (a balancer in front of replica processes). */
  gpu: RunningSimulator;
  attendee: Attendee;
  /** The relay's JOB_TIMEOUT_S on this path. */
  jobTimeoutS: number;
};

export type AgentStackOptions = { stepMs: number; jobTimeoutS: number };

async function startPath(
  rig: Rig,
  name: PathName,
  o: AgentStackOptions,
  close: (fn: () => Promise<void>) => void,
): Promise<GpuPath> {
  const root = join(rig.root, `agent-bench-${name}`);
  const replicas = name === 'direct' ? 1 : 3;
  const gpu = await simulatorAt(join(root, 'gpu'), {
    replicas,
    stepMs: o.stepMs,
    failures: { failNodeTypes: ['ImageBlur'] },
    // Processes always (a replica must die like one); the agent only where this path has it.
    agent: { heartbeatMs: 2000, without: name === 'agent' ? [] : [0, 1, 2] },
  });
  close(() => gpu.close());
  const sfs = join(root, 'gpu', 'output');
  const modeEnv: Record<string, string> =
    name === 'direct'
      ? { INFERENCE_MODE: 'direct', COMFYUI_GPU_URLS: gpu.url }
      : {
          INFERENCE_MODE: 'serverless',
          SERVERLESS_ENDPOINT: gpu.url,
          SFS_OUTPUT_DIR: sfs,
          SFS_INPUT_DIR: join(root, 'gpu', 'input'),
          SFS_POLL_MS: '100',
          SERVERLESS_CAPACITY: '3',
          AGENT_ENABLED: name === 'agent' ? 'true' : 'false',
        };
  const relay = await createRelay(
    loadRelayConfig({
      REDIS_URL: rig.redis.url,
      REDIS_PREFIX: rig.redis.prefix(),
      RELAY_SECRET,
      ADMIN_TOKEN,
      OUTPUT_DIR: join(root, 'relay-outputs'),
      LOG_LEVEL: 'silent',
      RELAY_PORT: '0',
      MAX_QUEUED_PER_USER: '0',
      MAX_RUNNING_PER_USER: '0',
      JOB_TIMEOUT_S: String(o.jobTimeoutS),
      ...modeEnv,
    }),
  );
  await relay.start();
  const port = await listen(relay.server);
  close(() => relay.close());
  const attendee = await rig.startAttendee(`http://127.0.0.1:${port}`, `bench-${name}`);
  close(() => attendee.close());
  return { name, gpu, attendee, jobTimeoutS: o.jobTimeoutS };
}

/** Starts the three paths; `close()` stops everything it started. */
export async function startAgentStacks(
  rig: Rig,
  o: AgentStackOptions,
): Promise<{ paths: GpuPath[]; close(): Promise<void> }> {
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const fn of closers.splice(0).reverse()) await fn().catch(() => undefined);
  };
  try {
    const paths: GpuPath[] = [];
    for (const name of ['direct', 'serverless', 'agent'] as const)
      paths.push(await startPath(rig, name, o, (fn) => closers.push(fn)));
    return { paths, close };
  } catch (error) {
    await close();
    throw error;
  }
}
