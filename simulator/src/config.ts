/**
 * @fileoverview `comfyume simulate` flags (and SIMULATOR_API_KEY) parsed once with zod into frozen
 * SimulatorOptions; every bad value is reported in one message.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { asFlag, zodProblems } from '../../protocol/src/zod-problems';
import type { SimulatorOptions } from './app';

export const USAGE = `Usage: comfyume simulate [options]

Runs a simulated ComfyUI 0.27 (HTTP + WebSocket) — the default GPU when none is configured.

Options:
  --host <addr>          listen address (default 127.0.0.1)
  --port <n>             port (default 8188)
  --output-dir <dir>     output folder (default ./data/simulator/output)
  --input-dir <dir>      input folder (default ./data/simulator/input)
  --temp-dir <dir>       temp folder (default ./data/simulator/temp)
  --step-ms <n>          time per sampler step / slow node (default 200)
  --cold-start-ms <n>    answer 503 until this long after start (default 0)
  --scale-down-ms <n>    scale to zero after this long without a request; the next request
                         starts a new cold start of --cold-start-ms (default 0: never)
  --api-key <key>        require "Authorization: Bearer <key>" (or env SIMULATOR_API_KEY)
  --fail-node <Class>    make this node class fail at run time (repeatable)
  --replicas <k>         k independent instances behind one round-robin port (default 1)
  --agent                every replica runs the GPU agent (journals, heartbeats, cancel markers in
                         --output-dir) in its own process, behind the round-robin port
  --agent-heartbeat-ms <n>  the agent's heartbeat interval (default 2000)
  --web-root <dir>       serve this folder at / like ComfyUI serves its frontend
  --extension <name=dir> serve a custom node's web directory at /extensions/<name>/ (repeatable)
  --help                 show this help`;

const Flags = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.coerce
    .number({ invalid_type_error: 'a port number from 0 to 65535' })
    .int()
    .min(0)
    .max(65535)
    .default(8188),
  outputDir: z.string().min(1).default('./data/simulator/output'),
  inputDir: z.string().min(1).default('./data/simulator/input'),
  tempDir: z.string().min(1).default('./data/simulator/temp'),
  stepMs: z.coerce.number().int().min(0).default(200),
  coldStartMs: z.coerce.number().int().min(0).default(0),
  scaleDownMs: z.coerce.number().int().min(0).default(0),
  apiKey: z.string().min(1).optional(),
  failNode: z.array(z.string().min(1)).default([]),
  replicas: z.coerce.number().int().min(1).max(64).default(1),
  agent: z.boolean().default(false),
  agentHeartbeatMs: z.coerce.number().int().min(200).max(60_000).default(2000),
  webRoot: z.string().min(1).optional(),
  extension: z.array(z.string().regex(/^[^=/]+=.+$/, 'expected <name>=<dir>')).default([]),
});

export type CliConfig = { help: true } | { help: false; options: Readonly<SimulatorOptions> };

export function parseConfig(args: string[], env: NodeJS.ProcessEnv = process.env): CliConfig {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'output-dir': { type: 'string' },
      'input-dir': { type: 'string' },
      'temp-dir': { type: 'string' },
      'step-ms': { type: 'string' },
      'cold-start-ms': { type: 'string' },
      'scale-down-ms': { type: 'string' },
      'api-key': { type: 'string' },
      'fail-node': { type: 'string', multiple: true },
      replicas: { type: 'string' },
      agent: { type: 'boolean' },
      'agent-heartbeat-ms': { type: 'string' },
      'web-root': { type: 'string' },
      extension: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return { help: true };
  const parsed = Flags.safeParse({
    host: values.host,
    port: values.port,
    outputDir: values['output-dir'],
    inputDir: values['input-dir'],
    tempDir: values['temp-dir'],
    stepMs: values['step-ms'],
    coldStartMs: values['cold-start-ms'],
    scaleDownMs: values['scale-down-ms'],
    apiKey: values['api-key'] ?? (env.SIMULATOR_API_KEY || undefined),
    failNode: values['fail-node'],
    replicas: values.replicas,
    agent: values.agent,
    agentHeartbeatMs: values['agent-heartbeat-ms'],
    webRoot: values['web-root'],
    extension: values.extension,
  });
  if (!parsed.success) {
    const problems = zodProblems(parsed.error, { name: asFlag }).map((line) => `  ${line}`);
    throw new Error(`bad options:\n${problems.join('\n')}`);
  }
  const f = parsed.data;
  return {
    help: false,
    options: Object.freeze({
      host: f.host,
      port: f.port,
      outputDir: path.resolve(f.outputDir),
      inputDir: path.resolve(f.inputDir),
      tempDir: path.resolve(f.tempDir),
      stepMs: f.stepMs,
      coldStartMs: f.coldStartMs,
      scaleDownMs: f.scaleDownMs,
      apiKey: f.apiKey,
      failures: { failNodeTypes: f.failNode },
      replicas: f.replicas,
      ...(f.agent ? { agent: { heartbeatMs: f.agentHeartbeatMs }, replicaLogLevel: 'info' } : {}),
      web: {
        webRoot: f.webRoot ? path.resolve(f.webRoot) : undefined,
        extensionDirs: Object.fromEntries(
          f.extension.map((pair) => {
            const [name, ...dir] = pair.split('=');
            return [name as string, path.resolve(dir.join('='))];
          }),
        ),
      },
    }),
  };
}
