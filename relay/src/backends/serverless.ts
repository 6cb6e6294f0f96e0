/**
 * @fileoverview The serverless backend: jobs run on a load-balanced ComfyUI endpoint (Bearer
 * key) whose replicas share an output volume (SFS). Replicas with the GPU agent speak through
 * that volume (DESIGN.md §3.7): their journals are forwarded, their heartbeats watched, cancels
 * written as markers. For the others delivery follows DESIGN.md §3.1–3.6: tagged output prefixes,
 * a chokidar watcher on the shared folder, history polling that reads `{}` as "not here",
 * completion from evidence, inputs staged before submit, cold starts as a visible state.
 */
import pino, { type Logger } from 'pino';
import type { Backend, RunContext, RunnableJob, RunResult } from './backend';
import { createOutputWatcher } from '../outputs/watcher';
import { ComfyUnavailable } from '../../../kit/comfy/errors';
import { createEndpointClient } from './serverless/endpoint';
import { writeCancelMarker } from './serverless/agent/cancel-marker';
import { AgentFleet, type ReplicaView } from './serverless/agent/fleet';
import { sendCancel } from './serverless/evidence';
import { JobRun, type RunConfig } from './serverless/job-run';
import { Metrics, type ServerlessMetrics } from './serverless/metrics';
import { sendWarmUp, type WarmUpResult } from './serverless/warm-up';

export type ServerlessConfig = {
  endpoint: string;
  apiKey?: string;
  /** The GPU output folder as mounted on this host; tagged files appear under its `comfyume/`. */
  sfsOutputDir: string;
  /** The GPU input folder as mounted here; without it inputs are uploaded with POST /upload/image. */
  sfsInputDir?: string;
  /** SFS_POLL_MS: watcher polling interval; 0 = inotify (sees nothing written by other NFS hosts). */
  pollMs: number;
  historyPollMs: number;
  /** Quiet time after the last file before "every output node delivered" counts as done. */
  settleMs: number;
  jobTimeoutMs: number;
  coldStartBudgetMs: number;
  capacity: number;
  // Optional knobs (compatible extension of the brief's shape); defaults in parentheses.
  /** Per-request timeout (30 s). */
  requestTimeoutMs?: number;
  /** How long a resumed job whose submit may or may not have landed is looked for before resubmitting (max(15 s, 10 × historyPollMs)). */
  resumeProbeMs?: number;
  /** After cancel, how long to wait for the GPU to confirm the interrupt (5 s). */
  cancelGraceMs?: number;
  /** How long a file listed in history may take to show up on SFS (max(10 s, 5 × pollMs)). */
  missingOutputGraceMs?: number;
  /** A file is taken once its size has not changed for this long (max(200 ms, pollMs)). */
  writeStableMs?: number;
  /** client_id sent with prompts; no socket listens for it (default "comfyume-relay"). */
  clientId?: string;
  /** The GPU agent (replicas that journal on SFS); defaults in parentheses. `enabled: false` = evidence only. */
  agent?: {
    enabled?: boolean;
    /** Journal and heartbeat reads (200 ms). */
    pollMs?: number;
    /** A heartbeat unchanged this long means its replica died (6000 ms). */
    staleMs?: number;
    /** How long an agent has to claim an accepted job before the evidence path is taken (3000 ms). */
    claimMs?: number;
    /** Resubmits after a replica died holding the job (1). */
    maxResubmits?: number;
  };
};

export type ServerlessBackend = Backend & {
  /** Latencies measured by this backend (file written → stored → executed; GPU error → reported). */
  metrics(): ServerlessMetrics;
  /** The replicas whose agent heartbeats are on SFS (empty when the agent is off). */
  replicas(): ReplicaView[];
  /** The GPU output folder this backend reads (journals live under it). */
  readonly sfsOutputDir: string;
  /** Post one tiny model-free prompt straight to the endpoint (prewarm/), cold starts waited out. */
  warmUp(signal?: AbortSignal): Promise<WarmUpResult>;
};

export function createServerlessBackend(
  config: ServerlessConfig,
  deps: { logger?: Logger; fetch?: typeof fetch } = {},
): ServerlessBackend {
  const logger = (deps.logger ?? pino({ level: 'silent' })).child({ mod: 'serverless' });
  const endpoint = createEndpointClient({
    endpoint: config.endpoint,
    apiKey: config.apiKey,
    fetch: deps.fetch ?? fetch,
    requestTimeoutMs: config.requestTimeoutMs ?? 30_000,
    logger,
  });
  const watcher = createOutputWatcher({
    outputDir: config.sfsOutputDir,
    pollMs: config.pollMs,
    writeStableMs: config.writeStableMs,
    logger,
  });
  const runConfig: RunConfig = {
    sfsOutputDir: config.sfsOutputDir,
    sfsInputDir: config.sfsInputDir,
    coldStartBudgetMs: config.coldStartBudgetMs,
    historyPollMs: config.historyPollMs,
    settleMs: config.settleMs,
    jobTimeoutMs: config.jobTimeoutMs,
    resumeProbeMs: config.resumeProbeMs ?? Math.max(15_000, 10 * config.historyPollMs),
    cancelGraceMs: config.cancelGraceMs ?? 5000,
    missingOutputGraceMs: config.missingOutputGraceMs ?? Math.max(10_000, 5 * config.pollMs),
    clientId: config.clientId ?? 'comfyume-relay',
    agent: {
      pollMs: config.agent?.pollMs ?? 200,
      claimMs: config.agent?.claimMs ?? 3000,
      staleMs: config.agent?.staleMs ?? 6000,
      maxResubmits: config.agent?.maxResubmits ?? 1,
    },
  };
  const fleet =
    config.agent?.enabled === false
      ? undefined
      : new AgentFleet({
          outputDir: config.sfsOutputDir,
          // Heartbeats change every ~2 s: reading them more often than every 500 ms buys nothing.
          pollMs: Math.max(500, runConfig.agent.pollMs),
          staleMs: runConfig.agent.staleMs,
          logger: logger.child({ mod: 'agent-fleet' }),
        });
  fleet?.start();
  const metrics = new Metrics();
  const runs = new Map<string, JobRun>();
  const closing = new AbortController();

  return {
    name: 'serverless',
    kind: 'serverless',
    capacity: () => config.capacity,
    state: () => endpoint.state(),
    metrics: () => metrics.snapshot(),
    replicas: () => fleet?.replicas() ?? [],
    sfsOutputDir: config.sfsOutputDir,
    warmUp: (signal) =>
      sendWarmUp(endpoint, {
        budgetMs: config.coldStartBudgetMs,
        signal: signal ? AbortSignal.any([signal, closing.signal]) : closing.signal,
      }),

    async run(job: RunnableJob, ctx: RunContext): Promise<RunResult> {
      const run = new JobRun(job, ctx, {
        config: runConfig,
        endpoint,
        watcher,
        metrics,
        logger,
        closing: closing.signal,
        fleet,
      });
      runs.set(job.id, run);
      try {
        return await run.run();
      } finally {
        if (runs.get(job.id) === run) runs.delete(job.id);
      }
    },

    async cancel(jobId: string): Promise<void> {
      const run = runs.get(jobId);
      if (run) return run.cancel();
      // Not running here (another relay runs it, or it is between owners): still ask the GPU —
      // a marker for every attempt (a replica with the agent obeys it), bursts unless one holds it.
      if (fleet) {
        try {
          writeCancelMarker(config.sfsOutputDir, jobId, 99, 'user');
        } catch (error) {
          logger.warn(
            { jobId, err: (error as Error).message },
            'could not write the cancel marker',
          );
        }
        if ([1, 2, 3].some((attempt) => fleet.holderOf(jobId, attempt))) return;
      }
      await sendCancel(endpoint, jobId, logger, { signal: closing.signal });
    },

    /** Asked by the relay's one copy (backends/object-info-cache.ts), which does all the keeping. */
    async objectInfo(): Promise<Record<string, unknown>> {
      const reply = await endpoint.withColdStart(
        'object_info',
        () => endpoint.request('GET', '/object_info'),
        {
          budgetMs: config.coldStartBudgetMs,
          signal: closing.signal,
        },
      );
      if (reply.status !== 200 || !reply.body || typeof reply.body !== 'object') {
        throw new ComfyUnavailable(
          `GET /object_info: HTTP ${reply.status} ${reply.text.slice(0, 160)}`,
          false,
          false,
          reply.status,
        );
      }
      return reply.body as Record<string, unknown>;
    },

    async readComfy(path: string): Promise<{ status: number; body: unknown }> {
      const reply = await endpoint.withColdStart(path, () => endpoint.request('GET', path), {
        budgetMs: config.coldStartBudgetMs,
        signal: closing.signal,
      });
      return { status: reply.status, body: reply.body };
    },

    async close(): Promise<void> {
      closing.abort();
      fleet?.close();
      await watcher.close();
    },
  };
}
