/**
 * @fileoverview Sidecar configuration: the environment parsed once with zod into a frozen object.
 * Every bad value is reported in one message; nothing else in the sidecar reads process.env.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { DEFAULT_COMFY_VERSION } from '../../protocol/src/comfy/sequence/version';
import { zodProblems } from '../../protocol/src/zod-problems';

const listen = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[^:]+):\d{1,5}$/, 'host:port, e.g. 0.0.0.0:8188')
  .transform((value) => {
    const at = value.lastIndexOf(':');
    return { host: value.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(value.slice(at + 1)) };
  })
  .refine((l) => l.port >= 0 && l.port <= 65535, 'port out of range');

const httpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//.test(u), 'an http(s) URL')
  .transform((u) => u.replace(/\/+$/, ''));

const basePath = z
  .string()
  .regex(/^(\/[A-Za-z0-9._~-]+)*\/?$/, 'a URL path such as /user001')
  .transform((p) => p.replace(/\/+$/, ''));

const positiveInt = z.coerce.number().int().positive();

export const EnvSchema = z.object({
  SIDECAR_LISTEN: listen
    .default('0.0.0.0:8188')
    .describe("host:port the sidecar listens on: where the attendee's ComfyUI used to listen."),
  SIDECAR_BASE_PATH: basePath
    .default('')
    .describe('A URL prefix to strip (e.g. /user001) when the proxy in front does not strip it.'),
  COMFYUI_URL: httpUrl
    .default('http://127.0.0.1:18188')
    .describe("The attendee's own CPU ComfyUI, which serves everything but the job routes."),
  RELAY_URL: httpUrl.describe(
    'The relay as the sidecar reaches it (QUEUE_MANAGER_URL is accepted as its old name).',
  ),
  USER_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, ".", "_" or "-" (at most 64)')
    .describe(
      "This attendee's user id, e.g. user001. Set per container by compose.users.yaml and `comfyume up`.",
    ),
  RELAY_TOKEN: z
    .string()
    .min(1, 'the user relay token (comfyume token <user>)')
    .describe(
      "This attendee's relay token (`comfyume token user001`). Set per container, from data/users/env/<user>.env.",
    ),
  COMFYUI_OUTPUT_DIR: z
    .string()
    .min(1)
    .describe(
      "The attendee ComfyUI's output folder: outputs are copied there before the browser hears of them.",
    ),
  COMFYUI_TEMP_DIR: z.string().min(1).describe("The attendee ComfyUI's temp folder (previews)."),
  COMFYUI_INPUT_DIR: z
    .string()
    .min(1)
    .describe("The attendee ComfyUI's input folder (uploaded images travel with the job)."),
  SIDECAR_STATE_DIR: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Where the sidecar keeps its small state (last relay event id, hidden history, output names); default ~/.comfyume/sidecar-<USER_ID>.',
    ),
  SIDECAR_MAX_BODY_BYTES: positiveInt
    .default(64 * 1024 * 1024)
    .describe('Largest request body the sidecar accepts, in bytes.'),
  SIDECAR_WS_PING_MS: positiveInt
    .default(30_000)
    .describe('WebSocket ping interval, so idle browser sockets survive nginx and load balancers.'),
  SIDECAR_PREVIEW_BUFFER_BYTES: positiveInt
    .default(1024 * 1024)
    .describe(
      'Previews are dropped for a browser socket with more than this many bytes waiting (state messages never are).',
    ),
  SIDECAR_OBJECT_INFO_TTL_MS: positiveInt
    .default(5 * 60_000)
    .describe("How long the GPU's node list (/object_info) is served before it is refreshed."),
  SIDECAR_GPU_WAIT_MS: positiveInt
    .default(4_000)
    .describe(
      "How long the attendee's UI waits for the GPU's node set and model lists (through the relay) the first time; after that the attendee's own ComfyUI answers until the GPU's arrive (ms). Queue Prompt never waits for them, except once for a prompt the attendee's own set would refuse.",
    ),
  SIDECAR_RELAY_TIMEOUT_MS: positiveInt
    .default(15_000)
    .describe('Timeout of one request to the relay.'),
  SIDECAR_RELAY_HEALTH_MS: positiveInt
    .default(15_000)
    .describe(
      "How often the sidecar reads the relay's /health to learn that its Redis lost its data (then the attendee's banner says so and the lost jobs end with an error in the tab) (ms).",
    ),
  COMFYUI_VERSION: z
    .string()
    .regex(/^v?\d+\.\d+(\.\d+)?/, 'a ComfyUI version such as 0.8.0 or 0.27.0')
    .default(DEFAULT_COMFY_VERSION)
    .describe(
      "The attendee's ComfyUI version the WebSocket message sequence follows until it is read from that ComfyUI's /system_stats.",
    ),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('How much the services log (JSON lines on stderr).'),
});

export type Config = Readonly<{
  listen: { host: string; port: number };
  basePath: string;
  comfyUrl: string;
  relayUrl: string;
  userId: string;
  relayToken: string;
  outputDir: string;
  tempDir: string;
  inputDir: string;
  stateDir: string;
  maxBodyBytes: number;
  wsPingMs: number;
  previewBufferBytes: number;
  objectInfoTtlMs: number;
  gpuWaitMs: number;
  relayTimeoutMs: number;
  relayHealthMs: number;
  comfyVersion: string;
  logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
}>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`comfyume sidecar: invalid configuration\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment (RELAY_URL may be given as its old name QUEUE_MANAGER_URL). */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const input = { ...env, RELAY_URL: env.RELAY_URL || env.QUEUE_MANAGER_URL };
  for (const key of Object.keys(input) as (keyof typeof input)[])
    if (input[key] === '') delete input[key];
  const parsed = EnvSchema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      zodProblems(parsed.error, {
        firstPerKey: true,
        name: (key) =>
          key === 'RELAY_URL' && !env.RELAY_URL && env.QUEUE_MANAGER_URL
            ? 'QUEUE_MANAGER_URL'
            : key,
        message: (issue) =>
          issue.code === 'invalid_type' && issue.received === 'undefined'
            ? 'is required'
            : issue.message,
        suffix: (shown) =>
          shown === 'RELAY_TOKEN' || !(shown in env) ? '' : ` (got ${JSON.stringify(env[shown])})`,
      }),
    );
  }
  const e = parsed.data;
  return Object.freeze({
    listen: e.SIDECAR_LISTEN,
    basePath: e.SIDECAR_BASE_PATH,
    comfyUrl: e.COMFYUI_URL,
    relayUrl: e.RELAY_URL,
    userId: e.USER_ID,
    relayToken: e.RELAY_TOKEN,
    outputDir: e.COMFYUI_OUTPUT_DIR,
    tempDir: e.COMFYUI_TEMP_DIR,
    inputDir: e.COMFYUI_INPUT_DIR,
    stateDir: e.SIDECAR_STATE_DIR ?? join(homedir(), '.comfyume', `sidecar-${e.USER_ID}`),
    maxBodyBytes: e.SIDECAR_MAX_BODY_BYTES,
    wsPingMs: e.SIDECAR_WS_PING_MS,
    previewBufferBytes: e.SIDECAR_PREVIEW_BUFFER_BYTES,
    objectInfoTtlMs: e.SIDECAR_OBJECT_INFO_TTL_MS,
    gpuWaitMs: e.SIDECAR_GPU_WAIT_MS,
    relayTimeoutMs: e.SIDECAR_RELAY_TIMEOUT_MS,
    relayHealthMs: e.SIDECAR_RELAY_HEALTH_MS,
    comfyVersion: e.COMFYUI_VERSION,
    logLevel: e.LOG_LEVEL,
  });
}
