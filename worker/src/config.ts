/**
 * @fileoverview The pull worker's configuration (`comfyume worker`): the environment parsed once
 * with zod, every bad value in one message, returned frozen. Nothing else in the worker reads
 * process.env. The worker's name is the one in its token.
 */
import { z } from 'zod';
import { zodProblems } from '../../protocol/src/zod-problems';

const httpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//.test(u), 'an http(s) URL')
  .transform((u) => u.replace(/\/+$/, ''));

export const EnvSchema = z.object({
  RELAY_URL: httpUrl.describe(
    'The relay this GPU box works for (e.g. https://relay.example.org). The worker connects out to it; nothing connects in.',
  ),
  WORKER_TOKEN: z
    .string({ required_error: 'required (comfyume token --worker <name> prints one)' })
    .regex(
      /^worker\.[A-Za-z0-9_-]{1,64}\.\d{1,16}\.[A-Za-z0-9_-]+$/,
      'a worker token (worker.<name>.<time>.<signature>)',
    )
    .describe(
      "This worker's token, from `comfyume token --worker <name>` on the relay's machine; it names the worker. User tokens are refused.",
    ),
  COMFYUI_URL: httpUrl
    .default('http://127.0.0.1:8188')
    .describe('The GPU ComfyUI beside the worker (stock ComfyUI with --listen 127.0.0.1).'),
  WORKER_CAPACITY: z.coerce
    .number()
    .int()
    .min(1)
    .max(64)
    .default(1)
    .describe('Jobs the relay gives this worker at once (they queue on its ComfyUI).'),
  WORKER_COLD_START_S: z.coerce
    .number()
    .int()
    .min(1)
    .default(300)
    .describe(
      'How long a job waits for its ComfyUI to answer (it may be loading) before it fails (s).',
    ),
  WORKER_UPLOAD_TIMEOUT_S: z.coerce
    .number()
    .int()
    .min(1)
    .default(600)
    .describe('How long one output file may take to reach the relay, resuming after each cut (s).'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('Log level of the worker.'),
});

export type WorkerConfig = Readonly<{
  relayUrl: string;
  token: string;
  name: string;
  comfyUrl: string;
  capacity: number;
  coldStartMs: number;
  uploadTimeoutMs: number;
  logLevel: string;
}>;

export function loadWorkerConfig(
  env: Record<string, string | undefined> = process.env,
): WorkerConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = zodProblems(parsed.error, { whole: '(env)' }).map((line) => `  ${line}`);
    throw new Error(`invalid worker configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return Object.freeze({
    relayUrl: e.RELAY_URL,
    token: e.WORKER_TOKEN,
    name: e.WORKER_TOKEN.split('.')[1]!,
    comfyUrl: e.COMFYUI_URL,
    capacity: e.WORKER_CAPACITY,
    coldStartMs: e.WORKER_COLD_START_S * 1000,
    uploadTimeoutMs: e.WORKER_UPLOAD_TIMEOUT_S * 1000,
    logLevel: e.LOG_LEVEL,
  });
}
