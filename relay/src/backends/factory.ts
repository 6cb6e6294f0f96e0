/**
 * @fileoverview Builds the backends for INFERENCE_MODE: `direct` (one per COMFYUI_GPU_URLS entry),
 * `simulated` (the same, the URLs being simulators its caller started: `comfyume up`,
 * `comfyume simulate`, bench, tests; the relay never starts one), `serverless` (./serverless,
 * its own module), `workers` (none: pull workers join as they connect, in every mode).
 */
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { Backend } from './backend';
import { DirectBackend } from './direct/direct';
import { DirectPeers } from './direct/peers';

export type BackendDeps = { logger: Logger };
export type BackendSet = { backends: Backend[]; close(): Promise<void> };

export async function createBackends(config: Config, deps: BackendDeps): Promise<BackendSet> {
  const logger = deps.logger.child({ mod: 'backend' });
  switch (config.inferenceMode) {
    case 'direct':
    case 'simulated': {
      const simulated = config.inferenceMode === 'simulated';
      if (!config.gpuUrls.length)
        throw new Error(
          'no GPU configured: set COMFYUI_GPU_URLS (INFERENCE_MODE=direct, or =simulated for simulators started with `comfyume simulate`), or SERVERLESS_ENDPOINT; `comfyume up` starts simulated GPUs itself',
        );
      // One set of peers: a job whose GPU died is resubmitted to another of them.
      const peers = new DirectPeers<DirectBackend>();
      const backends = config.gpuUrls.map(
        (url) =>
          new DirectBackend({
            url,
            // A simulator is labelled as one in /health, the dashboard and metrics.
            ...(simulated && { name: simulatorName(url), kind: 'simulated' }),
            capacity: config.gpuCapacity,
            coldStartBudgetMs: config.coldStartBudgetMs,
            logger: simulated ? logger.child({ backend: 'simulated' }) : logger,
            health: config.gpuHealth,
            peers,
          }),
      );
      return {
        backends,
        close: async () => void (await Promise.all(backends.map((b) => b.close()))),
      };
    }
    case 'workers':
      // Only pull workers (backends/worker/): they join the relay's list as they connect.
      return { backends: [], close: async () => undefined };
    case 'serverless': {
      const { createServerlessBackend } = await import('./serverless');
      const s = config.serverless;
      if (!s.endpoint || !s.sfsOutputDir)
        throw new Error('serverless mode needs SERVERLESS_ENDPOINT and SFS_OUTPUT_DIR');
      const backend = createServerlessBackend(
        {
          endpoint: s.endpoint,
          apiKey: s.apiKey,
          sfsOutputDir: s.sfsOutputDir,
          sfsInputDir: s.sfsInputDir,
          pollMs: s.sfsPollMs,
          historyPollMs: s.historyPollMs,
          settleMs: s.settleMs,
          jobTimeoutMs: config.jobTimeoutMs,
          coldStartBudgetMs: config.coldStartBudgetMs,
          capacity: s.capacity,
          agent: s.agent,
        },
        { logger },
      );
      return { backends: [backend], close: () => backend.close() };
    }
  }
}

/** `simulated:<port>` for a simulator on this machine, `simulated:<host:port>` for one elsewhere. */
function simulatorName(url: string): string {
  const { hostname, port, host } = new URL(url);
  return `simulated:${hostname === '127.0.0.1' || hostname === 'localhost' ? port : host}`;
}
