/**
 * @fileoverview `comfyume worker`: a GPU box joins a workshop. Loads the config from the
 * environment, waits for the ComfyUI beside it, connects out to the relay, and stops on
 * SIGTERM/SIGINT (the relay moves its jobs to another worker after its lease).
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { envHelp } from '../../protocol/src/env/env-docs';
import { guardUnhandledRejections } from '../../kit/process-guard';
import { createWorker } from './app';
import { EnvSchema, loadWorkerConfig } from './config';

const usage = () => `Usage: comfyume worker

Runs beside a GPU ComfyUI (COMFYUI_URL) and works for the relay (RELAY_URL) with a worker token
(WORKER_TOKEN, from \`comfyume token --worker <name>\`): it connects out, so the box may sit behind
NAT with no inbound port. Jobs arrive over that connection; their progress and outputs go back.

${envHelp(EnvSchema)}`;

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    console.log(usage());
    return;
  }
  const config = loadWorkerConfig(process.env);
  const logger = pino({
    level: config.logLevel,
    base: { svc: 'worker', worker: config.name },
    redact: {
      paths: ['token', '*.token', 'authorization', '*.authorization'],
      censor: '[redacted]',
    },
  });
  guardUnhandledRejections(logger);
  const worker = createWorker(config, logger);
  logger.info({ relay: config.relayUrl, comfyui: config.comfyUrl }, 'worker starting');
  await worker.start();
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'worker stopping');
    worker.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}
