/**
 * @fileoverview `comfyume relay`: load config from the environment, build the relay, listen, and
 * shut down gracefully on SIGTERM/SIGINT (running jobs are handed back, not lost).
 */
import { parseArgs } from 'node:util';
import { envHelp } from '../../protocol/src/env/env-docs';
import { createRelay } from './app';
import { EnvSchema, loadConfig } from './config';
import { createLogger } from './logger';
import { guardUnhandledRejections } from '../../kit/process-guard';

const usage = () => `Usage: comfyume relay

Runs the relay (durable fair job queue on Redis, GPU backends, REST + WebSocket API, /metrics).
Configured by environment variables; \`comfyume\` also reads them from the workshop's .env
(the environment wins). The same list, with the same words, is in .env.example.

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
  const config = loadConfig(process.env);
  const logger = createLogger(config.logLevel);
  guardUnhandledRejections(logger);
  const relay = await createRelay(config, { logger });
  try {
    await relay.start();
  } catch (error) {
    await relay.close().catch(() => undefined); // let the process exit: Redis connections keep it alive
    throw error;
  }
  await new Promise<void>((resolve, reject) => {
    relay.server.once('error', reject);
    relay.server.listen(config.port, config.host, () => resolve());
  });
  const address = relay.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info(
    { host: config.host, port, mode: config.inferenceMode },
    `relay listening on http://${config.host}:${port}`,
  );

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 20_000);
    force.unref();
    relay.close().then(
      () => process.exit(0),
      (error: Error) => {
        logger.error({ err: error.message }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}
