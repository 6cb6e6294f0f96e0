/**
 * @fileoverview `INFERENCE_MODE=simulated` (the default when no GPU is configured): the relay
 * starts the ComfyUI simulator in-process on a free loopback port and drives it exactly like a
 * direct GPU, so a laptop runs a whole workshop without a GPU.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import {
  startSimulator,
  type RunningSimulator,
  type SimulatorOptions,
} from '../../../simulator/src/app';
import type { Config } from '../config';
import type { Backend } from './backend';
import { DirectBackend } from './direct/direct';

/** `overrides` lets tests inject simulator failures; the relay passes none. */
export async function createSimulatedBackends(
  config: Config,
  logger: Logger,
  overrides: Partial<SimulatorOptions> = {},
): Promise<{ backends: Backend[]; simulator: RunningSimulator; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'comfyume-sim-'));
  const simulator = await startSimulator({
    host: '127.0.0.1',
    port: 0,
    outputDir: join(dir, 'output'),
    inputDir: join(dir, 'input'),
    tempDir: join(dir, 'temp'),
    stepMs: config.simulatorStepMs ?? 200,
    previewMethod: 'auto',
    logger: logger.child({ mod: 'simulator' }),
    ...overrides,
  });
  logger.info({ url: simulator.url }, 'simulated GPU started');
  const backend = new DirectBackend({
    url: simulator.url,
    name: `simulated:${simulator.port}`,
    kind: 'simulated',
    capacity: config.gpuCapacity,
    coldStartBudgetMs: config.coldStartBudgetMs,
    health: config.gpuHealth,
    logger: logger.child({ backend: 'simulated' }),
  });
  return {
    backends: [backend],
    simulator,
    close: async () => {
      await backend.close();
      await simulator.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
