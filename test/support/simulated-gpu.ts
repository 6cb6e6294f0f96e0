/**
 * @fileoverview A simulated GPU for a relay under test: the ComfyUI simulator in-process on a free
 * loopback port with its own folders, and the relay environment for `INFERENCE_MODE=simulated`
 * that points at it. The relay never starts a simulator itself: its caller does (`comfyume up`
 * as processes, tests and bench in-process), and the relay gets the URL.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startSimulator,
  type RunningSimulator,
  type SimulatorOptions,
} from '../../simulator/src/app';

export type SimulatedGpu = {
  simulator: RunningSimulator;
  url: string;
  /** What the relay's environment says to run its jobs on this GPU. */
  env: { INFERENCE_MODE: 'simulated'; COMFYUI_GPU_URLS: string };
  close(): Promise<void>;
};

/** `overrides` lets a test inject failures; the step time defaults to 200 ms, previews on. */
export async function startSimulatedGpu(
  overrides: Partial<SimulatorOptions> = {},
): Promise<SimulatedGpu> {
  const dir = await mkdtemp(join(tmpdir(), 'comfyume-sim-'));
  const simulator = await startSimulator({
    host: '127.0.0.1',
    port: 0,
    outputDir: join(dir, 'output'),
    inputDir: join(dir, 'input'),
    tempDir: join(dir, 'temp'),
    stepMs: 200,
    previewMethod: 'auto',
    ...overrides,
  });
  return {
    simulator,
    url: simulator.url,
    env: { INFERENCE_MODE: 'simulated', COMFYUI_GPU_URLS: simulator.url },
    close: async () => {
      await simulator.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
