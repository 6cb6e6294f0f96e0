/**
 * @fileoverview `comfyume sidecar`: reads the environment, starts the sidecar where ComfyUI used to
 * listen, and shuts down gracefully on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { envHelp } from '../../protocol/src/env/env-docs';
import { createSidecar } from './app';
import { ConfigError, EnvSchema, loadConfig } from './config';
import { createLogger } from './logger';
import { guardUnhandledRejections } from '../../kit/process-guard';

const help = () => `Usage: comfyume sidecar

Runs an attendee's sidecar in front of their local ComfyUI. Configured by environment variables;
\`comfyume\` also reads them from the workshop's .env (the environment wins). The same list, with
the same words, is in .env.example.

${envHelp(EnvSchema)}`;

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { help: { type: 'boolean', short: 'h' } },
    allowPositionals: false,
  });
  if (values.help) {
    console.log(help());
    return;
  }
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
  const logger = createLogger(config.logLevel, config.userId);
  guardUnhandledRejections(logger);
  const sidecar = createSidecar(config, { logger });
  await new Promise<void>((resolve, reject) => {
    sidecar.server.once('error', reject);
    sidecar.server.listen(config.listen.port, config.listen.host, resolve);
  });
  logger.info(
    { listen: config.listen, comfy: config.comfyUrl, relay: config.relayUrl },
    'sidecar listening',
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'sidecar stopping');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    sidecar.server.close();
    sidecar.close().then(
      () => {
        clearTimeout(force);
        logger.flush?.();
      },
      (error: Error) => logger.error({ err: error.message }, 'sidecar close failed'),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}
