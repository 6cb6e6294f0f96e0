/**
 * @fileoverview The serverless backend's environment variables (the endpoint, its shared storage and
 * the GPU agent); config.ts spreads them into the relay's schema and derives `Config.serverless`.
 */
import { z } from 'zod';
import { int, optionalString } from '../../config-fields';

export const serverlessEnv = {
  SERVERLESS_ENDPOINT: optionalString
    .pipe(z.string().url().optional())
    .describe(
      'Serverless ComfyUI endpoint behind a load balancer (e.g. https://<id>.serverless.example/). Required when INFERENCE_MODE=serverless.',
    ),
  SERVERLESS_API_KEY: optionalString.describe('Bearer key for the serverless endpoint.'),
  SFS_OUTPUT_DIR: optionalString.describe(
    "The GPU replicas' ComfyUI output folder on the shared storage (SFS), as mounted on the relay's machine. Required when INFERENCE_MODE=serverless.",
  ),
  SFS_INPUT_DIR: optionalString.describe(
    "The GPU replicas' ComfyUI input folder on the shared storage, where the relay places uploaded inputs.",
  ),
  SFS_POLL_MS: int(500, 0).describe(
    'Poll interval of the output watcher on the shared storage (inotify sees nothing written by another NFS host); 0 uses inotify.',
  ),
  SFS_RETENTION_H: int(24, 0).describe(
    "Hours a job's folder on the shared output volume (its tagged outputs, already copied to the relay's own store, and the agent journal with previews) is kept after the job finished; folders of jobs Redis no longer knows go when untouched this long. 0: never delete anything on the shared volume.",
  ),
  SFS_SWEEP_INTERVAL_S: int(600, 10).describe(
    'How often the relay sweeps the shared output volume for expired job folders and heartbeats of long-gone GPU replicas (s).',
  ),
  SERVERLESS_HISTORY_POLL_MS: int(1000, 50).describe(
    'How often the relay asks /history/{id} on the serverless endpoint (each ask reaches one replica at random).',
  ),
  SERVERLESS_SETTLE_MS: int(1500, 0).describe(
    'Quiet time after the last output file before outputs alone count as "done" on the serverless endpoint.',
  ),
  SERVERLESS_CAPACITY: int(4, 1).describe(
    'Jobs in flight at once on the serverless endpoint (its replica count is a good start).',
  ),
  AGENT_ENABLED: z
    .enum(['true', 'false', '1', '0'])
    .default('true')
    .describe(
      'Follow GPU replicas that run the ComfyuME agent (gpu-agent/) through their journals and heartbeats on the shared storage; false: history polls and the output folder only.',
    ),
  AGENT_POLL_MS: int(200, 20).describe(
    "How often a running job reads its GPU replica's journal on the shared storage (ms).",
  ),
  AGENT_STALE_S: int(6, 1).describe(
    'A GPU replica whose heartbeat has not changed for this long is dead: the job it held is resubmitted (s).',
  ),
  AGENT_CLAIM_MS: int(3000, 0).describe(
    'How long an agent has to claim a job the GPU accepted before the relay follows it from history and files instead (ms).',
  ),
  AGENT_MAX_RESUBMITS: int(1, 0)
    .pipe(z.number().max(5))
    .describe(
      'Resubmits of a job whose GPU replica died holding it (0: the job fails with the reason).',
    ),
};
