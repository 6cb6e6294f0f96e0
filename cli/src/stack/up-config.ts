/**
 * @fileoverview `comfyume up` configuration: flags + environment (.env already loaded) parsed once
 * with zod into a frozen object; every bad value is reported in one message.
 */
import { resolve } from 'node:path';
import { z } from 'zod';

export type GpuMode = 'simulated' | 'serverless' | 'direct';

export type UpConfig = Readonly<{
  users: number;
  nginx: boolean;
  nginxPort: number;
  dataDir: string;
  host: string;
  redisUrl?: string;
  gpu: GpuMode;
  /** For the simulated GPU: how the relay reaches it (serverless = load-balanced replicas + shared folder). */
  simulatedVia: 'serverless' | 'direct';
  simulatorReplicas: number;
  stepMs: number;
  coldStartMs: number;
  /** Real attendee ComfyUIs (one per user, in order); the simulator stands in for the rest. */
  attendeeComfyUrls: readonly string[];
  relayPort: number; // 0 = any free port
  /** A ComfyUI frontend build the simulated attendee ComfyUIs serve at / (ComfyUI's web root). */
  webRoot?: string;
  verbose: boolean;
  /** Environment passed to the relay (from .env): backend settings, limits. */
  relayEnv: Readonly<Record<string, string>>;
}>;

const Flags = z.object({
  users: z.coerce.number().int().min(1, 'at least 1').max(200, 'at most 200 on one machine'),
  nginx: z.boolean(),
  port: z.coerce.number().int().min(1).max(65535),
  dataDir: z.string().min(1),
  host: z.string().min(1),
  stepMs: z.coerce.number().int().min(0).max(60_000),
  coldStartMs: z.coerce.number().int().min(0),
  replicas: z.coerce.number().int().min(1).max(16),
  simulatedVia: z.enum(['serverless', 'direct']),
  comfyui: z.string().optional(),
  relayPort: z.coerce.number().int().min(0).max(65535),
  webRoot: z.string().min(1).optional(),
  verbose: z.boolean(),
});

const Env = z.object({
  REDIS_URL: z.string().url().optional(),
  INFERENCE_MODE: z.enum(['serverless', 'direct', 'simulated']).optional(),
  SERVERLESS_ENDPOINT: z.string().url().optional(),
  COMFYUI_GPU_URLS: z.string().optional(),
});

/** Relay settings an operator may put in .env that `up` passes through unchanged. */
const RELAY_PASSTHROUGH = [
  'SERVERLESS_ENDPOINT',
  'SERVERLESS_API_KEY',
  'SERVERLESS_CAPACITY',
  'SERVERLESS_HISTORY_POLL_MS',
  'SERVERLESS_SETTLE_MS',
  'SFS_OUTPUT_DIR',
  'SFS_INPUT_DIR',
  'SFS_POLL_MS',
  'COMFYUI_GPU_URLS',
  'COMFYUI_GPU_CAPACITY',
  'JOB_TIMEOUT_S',
  'COLD_START_BUDGET_S',
  'MAX_QUEUED_PER_USER',
  'MAX_RUNNING_PER_USER',
  'RELAY_MAX_BODY_MB',
  'RELAY_MAX_NODES',
  'REDIS_PREFIX',
  'LOG_LEVEL',
  'RELAY_LEASE_MS',
  'RELAY_HEARTBEAT_MS',
  'RELAY_EVENTS_MAXLEN',
] as const;

export function parseUpConfig(
  flags: Record<string, unknown>,
  env: Record<string, string | undefined>,
): UpConfig {
  // Empty values in .env mean "unset" (.env.example lists every name with an empty value).
  const clean = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''),
  ) as Record<string, string>;
  const f = Flags.safeParse(flags);
  const e = Env.safeParse(clean);
  const problems = [
    ...(f.success
      ? []
      : f.error.issues.map(
          (i) =>
            `--${String(i.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${i.message}`,
        )),
    ...(e.success ? [] : e.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`)),
  ];
  if (!f.success || !e.success)
    throw new Error(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  const flagsOk = f.data;
  const envOk = e.data;
  const gpu: GpuMode =
    envOk.INFERENCE_MODE ??
    (envOk.SERVERLESS_ENDPOINT ? 'serverless' : envOk.COMFYUI_GPU_URLS ? 'direct' : 'simulated');
  if (gpu === 'serverless' && !envOk.SERVERLESS_ENDPOINT)
    throw new Error(
      'invalid configuration:\n  SERVERLESS_ENDPOINT: required when INFERENCE_MODE=serverless',
    );
  if (gpu === 'direct' && !envOk.COMFYUI_GPU_URLS)
    throw new Error(
      'invalid configuration:\n  COMFYUI_GPU_URLS: required when INFERENCE_MODE=direct',
    );
  const attendeeComfyUrls = (flagsOk.comfyui ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const badUrl = attendeeComfyUrls.find((u) => !URL.canParse(u));
  if (badUrl) throw new Error(`invalid configuration:\n  --comfyui: "${badUrl}" is not a URL`);
  const relayEnv = Object.fromEntries(
    RELAY_PASSTHROUGH.filter((k) => clean[k] !== undefined).map((k) => [k, clean[k]!]),
  );
  return Object.freeze({
    users: flagsOk.users,
    nginx: flagsOk.nginx,
    nginxPort: flagsOk.port,
    dataDir: resolve(flagsOk.dataDir),
    host: flagsOk.host,
    redisUrl: envOk.REDIS_URL,
    gpu,
    simulatedVia: flagsOk.simulatedVia,
    simulatorReplicas: flagsOk.replicas,
    stepMs: flagsOk.stepMs,
    coldStartMs: flagsOk.coldStartMs,
    attendeeComfyUrls: Object.freeze(attendeeComfyUrls),
    relayPort: flagsOk.relayPort,
    webRoot: flagsOk.webRoot ? resolve(flagsOk.webRoot) : undefined,
    verbose: flagsOk.verbose,
    relayEnv: Object.freeze(relayEnv),
  });
}
