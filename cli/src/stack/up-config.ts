/**
 * @fileoverview `comfyume up` configuration: flags + environment (.env already loaded) parsed once
 * with zod into a frozen object; every bad value is reported in one message.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../args';
import { z } from 'zod';
import { envVarDocs } from '../../../protocol/src/env/env-docs';
import { asFlag, zodProblems } from '../../../protocol/src/zod-problems';
import { EnvSchema as RelayEnvSchema } from '../../../relay/src/config';

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
  /** Simulated GPUs each served by a pull worker (`comfyume worker`) instead: 0 = none. */
  workers: number;
  stepMs: number;
  coldStartMs: number;
  /** Real attendee ComfyUIs (one per user, in order); the simulator stands in for the rest. */
  attendeeComfyUrls: readonly string[];
  relayPort: number; // 0 = any free port
  /** A ComfyUI frontend build the simulated attendee ComfyUIs serve at / (ComfyUI's web root). */
  webRoot?: string;
  verbose: boolean;
  /** Run Debian's Prometheus scraping the relay (`--monitoring`), on this port. */
  monitoring: boolean;
  prometheusPort: number;
  /** Environment passed to the relay (from .env): backend settings, limits. */
  relayEnv: Readonly<Record<string, string>>;
}>;

/** A whole number in [min, max], with one message for every way to miss (text, fraction, range). */
const whole = (min: number, max: number) => {
  const message = `a whole number from ${min} to ${max}`;
  return z.coerce
    .number({ invalid_type_error: message })
    .int(message)
    .min(min, message)
    .max(max, message);
};

const Flags = z.object({
  users: whole(1, 200),
  nginx: z.boolean(),
  port: whole(1, 65535),
  dataDir: z.string().min(1),
  host: z.string().min(1),
  stepMs: whole(0, 60_000),
  coldStartMs: whole(0, 3_600_000),
  replicas: whole(1, 16),
  workers: whole(0, 16),
  simulatedVia: z.enum(['serverless', 'direct']),
  comfyui: z.string().optional(),
  relayPort: whole(0, 65535),
  webRoot: z.string().min(1).optional(),
  /** The instructor's workflows folder (`--workflows`): the relay's WORKSHOP_WORKFLOWS_DIR. */
  workflows: z.string().min(1).optional(),
  verbose: z.boolean(),
  monitoring: z.boolean(),
  prometheusPort: whole(1, 65535),
});

const Env = z.object({
  REDIS_URL: z.string().url().optional(),
  INFERENCE_MODE: z.enum(['serverless', 'direct', 'simulated']).optional(),
  SERVERLESS_ENDPOINT: z.string().url().optional(),
  COMFYUI_GPU_URLS: z.string().optional(),
});

/** Relay settings an operator may put in .env that `up` passes through: every relay variable. */
const RELAY_PASSTHROUGH = envVarDocs(RelayEnvSchema).map((doc) => doc.name);

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
      : zodProblems(f.error, {
          name: asFlag,
          suffix: (_, i) => `, got ${JSON.stringify(flags[String(i.path[0])])}`,
        })),
    ...(e.success ? [] : zodProblems(e.error)),
  ];
  if (!f.success || !e.success)
    throw new UsageError(
      problems.length === 1
        ? problems[0]!
        : `invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`,
    );
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
  if (flagsOk.workflows) {
    const dir = resolve(flagsOk.workflows);
    if (!existsSync(dir))
      throw new UsageError(`--workflows: ${dir} does not exist (a folder of workflow .json files)`);
    relayEnv.WORKSHOP_WORKFLOWS_DIR = dir;
  }
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
    workers: flagsOk.workers,
    stepMs: flagsOk.stepMs,
    coldStartMs: flagsOk.coldStartMs,
    attendeeComfyUrls: Object.freeze(attendeeComfyUrls),
    relayPort: flagsOk.relayPort,
    webRoot: flagsOk.webRoot ? resolve(flagsOk.webRoot) : undefined,
    verbose: flagsOk.verbose,
    monitoring: flagsOk.monitoring,
    prometheusPort: flagsOk.prometheusPort,
    relayEnv: Object.freeze(relayEnv),
  });
}
