/**
 * @fileoverview Builds the backends for INFERENCE_MODE: `direct` (one per COMFYUI_GPU_URLS entry),
 * `simulated` (an in-process simulator), `serverless` (./serverless, its own module).
 */
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { Backend } from './backend';
import { DirectBackend } from './direct/direct';
import { DirectPeers } from './direct/peers';
import { createSimulatedBackends } from './simulated';

export type BackendDeps = { logger: Logger };
export type BackendSet = { backends: Backend[]; close(): Promise<void> };

export async function createBackends(config: Config, deps: BackendDeps): Promise<BackendSet> {
  const logger = deps.logger.child({ mod: 'backend' });
  switch (config.inferenceMode) {
    case 'direct': {
      // One set of peers: a job whose GPU died is resubmitted to another of them.
      const peers = new DirectPeers<DirectBackend>();
      const backends = config.gpuUrls.map(
        (url) =>
          new DirectBackend({
            url,
            capacity: config.gpuCapacity,
            coldStartBudgetMs: config.coldStartBudgetMs,
            logger,
            health: config.gpuHealth,
            peers,
          }),
      );
      return {
        backends,
        close: async () => void (await Promise.all(backends.map((b) => b.close()))),
      };
    }
    case 'simulated':
      return createSimulatedBackends(config, logger);
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
