/**
 * @fileoverview startSimulator: k replicas (each a full simulated ComfyUI 0.27), shared folders and gate,
 * and with k > 1 a round-robin balancer on the public port.
 */
import { mkdirSync } from 'node:fs';
import pino, { type Logger } from 'pino';
import { abspath } from './files/py-path';
import { Gate } from './gate';
import { startBalancer } from './balancer';
import { startReplica, type SimulatorReplica } from './replica';
import type { WebOptions } from './server/handlers/static';

export type { SimulatorReplica } from './replica';

export type SimulatorOptions = {
  host?: string;
  port?: number;
  outputDir: string;
  inputDir: string;
  tempDir: string;
  stepMs?: number;
  coldStartMs?: number;
  apiKey?: string;
  previewMethod?: 'none' | 'auto';
  failures?: { failNodeTypes?: string[]; http5xxBurst?: { status: 502 | 503; count: number }; dropSocketsAfterMs?: number };
  replicas?: number;
  /** A UI to serve at `/` and custom-node web dirs at `/extensions/<name>/` (ComfyUI's static routes). */
  web?: WebOptions;
  /** Logger (defaults to a silent one; the CLI passes its own). */
  logger?: Logger;
  /** Model files per folder (e.g. `{checkpoints: ['a.safetensors']}`); default: two simulated checkpoints. */
  models?: Record<string, string[]>;
  /** The ComfyUI version to report and answer POST /prompt errors as ('0.27.0' default; '0.8.0' for the older generation). */
  version?: string;
};

export type RunningSimulator = { url: string; port: number; replicas: SimulatorReplica[]; close(): Promise<void> };

export async function startSimulator(options: SimulatorOptions): Promise<RunningSimulator> {
  const host = options.host ?? '127.0.0.1';
  const count = Math.max(1, options.replicas ?? 1);
  const log = options.logger ?? pino({ level: 'silent' });
  // ComfyUI works with absolute folders (its escape check compares against them).
  const dirs = { output: abspath(options.outputDir), input: abspath(options.inputDir), temp: abspath(options.tempDir) };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  const gate = new Gate({ coldStartMs: options.coldStartMs ?? 0, apiKey: options.apiKey, http5xxBurst: options.failures?.http5xxBurst });

  const started: Array<Awaited<ReturnType<typeof startReplica>>> = [];
  const closeAll = async () => {
    await Promise.all(started.map((r) => r.close()));
  };
  try {
    for (let index = 0; index < count; index++) {
      started.push(
        await startReplica({
          index,
          host,
          port: count === 1 ? (options.port ?? 0) : 0,
          dirs,
          stepMs: options.stepMs ?? 20,
          previewMethod: options.previewMethod ?? 'auto',
          failNodeTypes: options.failures?.failNodeTypes ?? [],
          dropSocketsAfterMs: options.failures?.dropSocketsAfterMs,
          gate,
          log,
          web: options.web,
          models: options.models,
          version: options.version,
        }),
      );
    }
    const replicas = started.map((r) => r.replica);
    if (count === 1) {
      const only = replicas[0] as SimulatorReplica;
      return { url: only.url, port: only.port, replicas, close: closeAll };
    }
    const balancer = await startBalancer(host, options.port ?? 0, replicas.map((r) => r.url));
    log.info({ url: balancer.url, replicas: count }, 'simulator listening');
    return {
      url: balancer.url,
      port: balancer.port,
      replicas,
      close: async () => {
        await balancer.close();
        await closeAll();
      },
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
