/**
 * @fileoverview The relay's configuration: environment variables parsed once with zod, every bad
 * value reported in one message, returned frozen. Nothing else in the relay reads process.env.
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import { zodProblems } from '../../protocol/src/zod-problems';
import { prewarmConfig, prewarmEnv, type PrewarmConfig } from './prewarm/schedule';
import { serverlessEnv } from './backends/serverless/serverless-env';
import { int, optionalString } from './config-fields';

export const EnvSchema = z
  .object({
    REDIS_URL: z
      .string()
      .default('redis://127.0.0.1:6379')
      .describe(
        'Redis holding every job. `comfyume up` starts its own redis-server (data in <home>/data/redis) when this is unset.',
      ),
    REDIS_VOLATILE_OK: z
      .enum(['0', '1', 'true', 'false'])
      .default('0')
      .describe(
        '1: start even when Redis has no persistence (no AOF, no snapshots), knowing a Redis restart loses every queued and running job. Otherwise the relay refuses to start on such a Redis.',
      ),
    REDIS_PREFIX: z
      .string()
      .regex(/^[\w.:-]{1,64}$/, 'letters, digits, _ . : - only')
      .default('comfyume:')
      .describe('Key prefix, so several workshops can share one Redis.'),
    INFERENCE_MODE: z
      .enum(['serverless', 'direct', 'simulated', 'workers'])
      .optional()
      .describe(
        'Where jobs run: serverless (SERVERLESS_ENDPOINT), direct (ComfyUI GPUs at COMFYUI_GPU_URLS), simulated (ComfyUI simulators at COMFYUI_GPU_URLS, e.g. `comfyume simulate`: run like direct GPUs, labelled simulated) or workers (only GPU boxes that connect with `comfyume worker`; in the other modes connecting workers join the fleet too). Unset: serverless if SERVERLESS_ENDPOINT is set, direct if COMFYUI_GPU_URLS is set, else simulated (`comfyume up` starts simulated GPUs and passes their URLs).',
      ),
    ...serverlessEnv,
    JOB_TIMEOUT_S: int(600, 1).describe(
      'A job that has not finished after this many seconds is interrupted and fails with a reason.',
    ),
    COLD_START_BUDGET_S: int(300, 0).describe(
      'How long a GPU scaling from zero may answer 502/503/504 (shown as "GPU warming up") before jobs fail.',
    ),
    COMFYUI_GPU_URLS: optionalString.describe(
      'Dedicated GPU ComfyUI servers for INFERENCE_MODE=direct (or simulators for INFERENCE_MODE=simulated), comma-separated http(s) URLs.',
    ),
    COMFYUI_GPU_CAPACITY: int(1, 1).describe('Jobs run at once on each direct GPU.'),
    GPU_DEAD_AFTER_MS: int(3000, 500).describe(
      'A direct GPU whose WebSocket closed and whose health check (GET /queue) has failed for this long is dead: the job it ran is resubmitted to another direct GPU or fails with the reason (ms). A closed socket alone is a network blip: the relay reconnects and keeps following.',
    ),
    GPU_HEALTH_POLL_MS: int(1000, 100).describe(
      'How often the relay checks the health of a direct GPU whose WebSocket closed (ms).',
    ),
    GPU_HEALTH_TIMEOUT_MS: int(2000, 100).describe(
      'How long one health check of a direct GPU may take before it counts as failed (ms).',
    ),
    GPU_MAX_RESUBMITS: int(1, 0)
      .pipe(z.number().max(5))
      .describe(
        'Resubmits of a job whose direct GPU died running it, each to another live direct GPU (0: the job fails with the reason).',
      ),
    WORKER_LEASE_MS: int(10_000, 500).describe(
      'How long a pull worker (`comfyume worker`) whose connection dropped keeps its jobs; not back by then, each moves to another worker (ms).',
    ),
    WORKER_MAX_MOVES: int(1, 0)
      .pipe(z.number().max(5))
      .describe(
        'Moves of a job whose pull worker went away, each to another live worker with its nodes (0: the job fails with the reason).',
      ),
    WORKER_UPLOAD_DIR: optionalString.describe(
      "Where output files uploaded by pull workers wait until they are copied into the user's store (default <OUTPUT_DIR>/.worker-uploads).",
    ),
    OBJECT_INFO_REFRESH_PER_USER_MS: int(10_000, 0).describe(
      "How often one user's prompts may make the relay ask the GPU itself for its node set (a prompt naming a node or model the relay's copy lacks: the sidecar looks again once); in between they are checked against the relay's newest copy (ms; 0: no limit).",
    ),
    RELAY_SECRET: z
      .string({ required_error: 'required (the key user tokens are signed with)' })
      .min(16, 'at least 16 characters')
      .describe(
        "Key that signs every attendee's relay token (HMAC-SHA256); at least 16 characters. Changing it invalidates all tokens. `comfyume up` and `comfyume users` generate it into <home>/.env.",
      ),
    ADMIN_TOKEN: z
      .string({ required_error: 'required (the operator token)' })
      .min(16, 'at least 16 characters')
      .describe(
        "The operator's bearer token for the relay's admin API and dashboard; at least 16 characters. Generated like RELAY_SECRET.",
      ),
    RELAY_HOST: z.string().default('0.0.0.0').describe('Address the relay listens on.'),
    RELAY_PORT: int(3000, 0).pipe(z.number().max(65535)).describe('Port the relay listens on.'),
    OUTPUT_DIR: z
      .string()
      .default('data/relay-outputs')
      .describe("Where the relay keeps each user's delivered outputs."),
    RELAY_INPUT_DIR: optionalString.describe(
      'Where the relay keeps uploaded inputs (default <OUTPUT_DIR>/.inputs).',
    ),
    MAX_QUEUED_PER_USER: int(20, 0).describe('Jobs one user may have waiting (0 = unlimited).'),
    MAX_RUNNING_PER_USER: int(1, 0).describe(
      'Jobs one user may have running at once (0 = unlimited).',
    ),
    RELAY_MAX_BODY_MB: z.coerce
      .number()
      .positive()
      .default(20)
      .describe('Largest submitted prompt, in MB.'),
    RELAY_MAX_NODES: int(1000, 1).describe('Most nodes in one submitted prompt.'),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info')
      .describe('How much the services log (JSON lines on stderr).'),
    RELAY_LEASE_MS: int(10_000, 1000).describe(
      'Job lease between relay replicas: a relay that stops renewing loses its jobs to another after this long.',
    ),
    RELAY_HEARTBEAT_MS: int(3_000, 100).describe(
      'How often a relay renews its leases; must be under half of RELAY_LEASE_MS.',
    ),
    RELAY_EVENTS_MAXLEN: int(10_000, 100).describe(
      'Events kept per user stream, for sidecars that reconnect.',
    ),
    RELAY_METRICS_PER_USER: z
      .enum(['0', '1'])
      .default('1')
      .describe(
        '1 labels the jobs counter on /metrics by user (per-user activity in Grafana); 0 for very large workshops.',
      ),
    METRICS_PUBLIC: z
      .enum(['0', '1'])
      .default('0')
      .describe(
        "1 serves the relay's /metrics without a token (only on a private network); by default it needs ADMIN_TOKEN as a bearer token, which the shipped Prometheus configs send.",
      ),
    ...prewarmEnv,
    WORKSHOP_WORKFLOWS_DIR: optionalString.describe(
      "Folder of the instructor's UI-format workflow files (*.json): every attendee's Workflows sidebar lists them beside their own. Read at start; `comfyume workflows publish` adds more live. `comfyume up --workflows <dir>` sets it.",
    ),
    WORKSHOP_DEFAULT_WORKFLOW: optionalString.describe(
      "The workshop workflow (file name in WORKSHOP_WORKFLOWS_DIR, e.g. intro.json) opened on an attendee's first visit; `comfyume workflows publish --default` changes it.",
    ),
  })
  .superRefine((env, ctx) => {
    const mode = env.INFERENCE_MODE;
    if (mode === 'serverless' && !env.SERVERLESS_ENDPOINT)
      ctx.addIssue({
        code: 'custom',
        path: ['SERVERLESS_ENDPOINT'],
        message: 'required when INFERENCE_MODE=serverless',
      });
    if (mode === 'serverless' && !env.SFS_OUTPUT_DIR)
      ctx.addIssue({
        code: 'custom',
        path: ['SFS_OUTPUT_DIR'],
        message: 'required when INFERENCE_MODE=serverless (the GPU output volume as mounted here)',
      });
    if (mode === 'direct' && !env.COMFYUI_GPU_URLS)
      ctx.addIssue({
        code: 'custom',
        path: ['COMFYUI_GPU_URLS'],
        message: 'required when INFERENCE_MODE=direct (comma-separated ComfyUI URLs)',
      });
    if (mode === 'simulated' && !env.COMFYUI_GPU_URLS)
      ctx.addIssue({
        code: 'custom',
        path: ['COMFYUI_GPU_URLS'],
        message:
          'required when INFERENCE_MODE=simulated (the URLs of `comfyume simulate` processes; `comfyume up` starts them)',
      });
    for (const u of splitUrls(env.COMFYUI_GPU_URLS)) {
      if (!URL.canParse(u) || !/^https?:$/.test(new URL(u).protocol))
        ctx.addIssue({
          code: 'custom',
          path: ['COMFYUI_GPU_URLS'],
          message: `"${u}" is not an http(s) URL`,
        });
    }
    if (env.RELAY_HEARTBEAT_MS * 2 >= env.RELAY_LEASE_MS)
      ctx.addIssue({
        code: 'custom',
        path: ['RELAY_HEARTBEAT_MS'],
        message: 'must be less than half of RELAY_LEASE_MS',
      });
  });

const splitUrls = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim().replace(/\/+$/, ''))
    .filter(Boolean);

export type InferenceMode = 'serverless' | 'direct' | 'simulated' | 'workers';

export type Config = Readonly<{
  redisUrl: string;
  redisPrefix: string;
  redisVolatileOk: boolean;
  inferenceMode: InferenceMode;
  serverless: Readonly<{
    endpoint?: string;
    apiKey?: string;
    sfsOutputDir?: string;
    sfsInputDir?: string;
    sfsPollMs: number;
    /** Job folders on SFS are deleted this long after the job finished; 0: never. */
    sfsRetentionMs: number;
    sfsSweepIntervalMs: number;
    historyPollMs: number;
    settleMs: number;
    capacity: number;
    agent: Readonly<{
      enabled: boolean;
      pollMs: number;
      staleMs: number;
      claimMs: number;
      maxResubmits: number;
    }>;
  }>;
  jobTimeoutMs: number;
  coldStartBudgetMs: number;
  gpuUrls: readonly string[];
  gpuCapacity: number;
  /** One user's fresh looks at the GPU's node set: at most one per this long. */
  objectInfoRefreshPerUserMs: number;
  /** Dead direct GPUs: socket closed and health failing for `deadAfterMs`. */
  gpuHealth: Readonly<{
    deadAfterMs: number;
    pollMs: number;
    timeoutMs: number;
    maxResubmits: number;
  }>;
  /** Pull workers: lease after a dropped connection, moves, where their uploads wait. */
  workers: Readonly<{ leaseMs: number; maxMoves: number; uploadDir: string }>;
  relaySecret: string;
  adminToken: string;
  host: string;
  port: number;
  outputDir: string; // absolute
  inputDir: string; // absolute; content-addressed uploads per user
  maxQueuedPerUser: number; // 0 = unlimited
  maxRunningPerUser: number; // 0 = unlimited
  maxBodyBytes: number;
  maxNodes: number;
  logLevel: string;
  leaseMs: number;
  heartbeatMs: number;
  eventsMaxLen: number;
  metricsPerUser: boolean;
  metricsPublic: boolean; // /metrics without the admin token
  prewarm: PrewarmConfig; // PREWARM_SCHEDULE, PREWARM_INTERVAL_S (serverless replicas kept warm)
  /** The instructor's workflows folder (absolute) and the one opened on a first visit. */
  workshop: Readonly<{ workflowsDir?: string; defaultWorkflow?: string }>;
}>;

/** Parse the environment (or any string map, for tests) into a frozen Config; throws one message listing every problem. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = zodProblems(parsed.error, { whole: '(env)' }).map((line) => `  ${line}`);
    throw new Error(`invalid relay configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const gpuUrls = splitUrls(e.COMFYUI_GPU_URLS);
  const inferenceMode: InferenceMode =
    e.INFERENCE_MODE ??
    (e.SERVERLESS_ENDPOINT ? 'serverless' : gpuUrls.length ? 'direct' : 'simulated');
  const outputDir = resolve(e.OUTPUT_DIR);
  return Object.freeze({
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX.endsWith(':') ? e.REDIS_PREFIX : `${e.REDIS_PREFIX}:`,
    redisVolatileOk: e.REDIS_VOLATILE_OK === '1' || e.REDIS_VOLATILE_OK === 'true',
    inferenceMode,
    serverless: Object.freeze({
      endpoint: e.SERVERLESS_ENDPOINT?.replace(/\/+$/, ''),
      apiKey: e.SERVERLESS_API_KEY,
      sfsOutputDir: e.SFS_OUTPUT_DIR && resolve(e.SFS_OUTPUT_DIR),
      sfsInputDir: e.SFS_INPUT_DIR && resolve(e.SFS_INPUT_DIR),
      sfsPollMs: e.SFS_POLL_MS,
      sfsRetentionMs: e.SFS_RETENTION_H * 3_600_000,
      sfsSweepIntervalMs: e.SFS_SWEEP_INTERVAL_S * 1000,
      historyPollMs: e.SERVERLESS_HISTORY_POLL_MS,
      settleMs: e.SERVERLESS_SETTLE_MS,
      capacity: e.SERVERLESS_CAPACITY,
      agent: Object.freeze({
        enabled: e.AGENT_ENABLED === 'true' || e.AGENT_ENABLED === '1',
        pollMs: e.AGENT_POLL_MS,
        staleMs: e.AGENT_STALE_S * 1000,
        claimMs: e.AGENT_CLAIM_MS,
        maxResubmits: e.AGENT_MAX_RESUBMITS,
      }),
    }),
    jobTimeoutMs: e.JOB_TIMEOUT_S * 1000,
    coldStartBudgetMs: e.COLD_START_BUDGET_S * 1000,
    gpuUrls: Object.freeze(gpuUrls),
    gpuCapacity: e.COMFYUI_GPU_CAPACITY,
    objectInfoRefreshPerUserMs: e.OBJECT_INFO_REFRESH_PER_USER_MS,
    gpuHealth: Object.freeze({
      deadAfterMs: e.GPU_DEAD_AFTER_MS,
      pollMs: e.GPU_HEALTH_POLL_MS,
      timeoutMs: e.GPU_HEALTH_TIMEOUT_MS,
      maxResubmits: e.GPU_MAX_RESUBMITS,
    }),
    workers: Object.freeze({
      leaseMs: e.WORKER_LEASE_MS,
      maxMoves: e.WORKER_MAX_MOVES,
      uploadDir: e.WORKER_UPLOAD_DIR
        ? resolve(e.WORKER_UPLOAD_DIR)
        : resolve(outputDir, '.worker-uploads'),
    }),
    relaySecret: e.RELAY_SECRET,
    adminToken: e.ADMIN_TOKEN,
    host: e.RELAY_HOST,
    port: e.RELAY_PORT,
    outputDir,
    inputDir: e.RELAY_INPUT_DIR ? resolve(e.RELAY_INPUT_DIR) : resolve(outputDir, '.inputs'),
    maxQueuedPerUser: e.MAX_QUEUED_PER_USER,
    maxRunningPerUser: e.MAX_RUNNING_PER_USER,
    maxBodyBytes: Math.round(e.RELAY_MAX_BODY_MB * 1024 * 1024),
    maxNodes: e.RELAY_MAX_NODES,
    logLevel: e.LOG_LEVEL,
    leaseMs: e.RELAY_LEASE_MS,
    heartbeatMs: e.RELAY_HEARTBEAT_MS,
    eventsMaxLen: e.RELAY_EVENTS_MAXLEN,
    metricsPerUser: e.RELAY_METRICS_PER_USER === '1',
    metricsPublic: e.METRICS_PUBLIC === '1',
    prewarm: prewarmConfig(e),
    workshop: Object.freeze({
      workflowsDir: e.WORKSHOP_WORKFLOWS_DIR && resolve(e.WORKSHOP_WORKFLOWS_DIR),
      defaultWorkflow: e.WORKSHOP_DEFAULT_WORKFLOW,
    }),
  });
}
