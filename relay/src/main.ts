/**
 * @fileoverview `comfyume relay`: load config from the environment, build the relay, listen, and
 * shut down gracefully on SIGTERM/SIGINT (running jobs are handed back, not lost).
 */
import { parseArgs } from 'node:util';
import { createRelay } from './app';
import { loadConfig } from './config';
import { createLogger } from './logger';

const USAGE = `Usage: comfyume relay

Runs the relay (durable fair job queue on Redis, GPU backends, REST + WebSocket API).
Configured by environment variables (see .env.example):
  REDIS_URL, REDIS_PREFIX, INFERENCE_MODE (serverless|direct|simulated), SERVERLESS_ENDPOINT,
  SERVERLESS_API_KEY, SFS_OUTPUT_DIR, SFS_INPUT_DIR, SFS_POLL_MS, JOB_TIMEOUT_S,
  COLD_START_BUDGET_S, COMFYUI_GPU_URLS, COMFYUI_GPU_CAPACITY, RELAY_SECRET, ADMIN_TOKEN,
  RELAY_HOST, RELAY_PORT, OUTPUT_DIR, RELAY_INPUT_DIR, MAX_QUEUED_PER_USER, MAX_RUNNING_PER_USER,
  RELAY_MAX_BODY_MB, RELAY_MAX_NODES, LOG_LEVEL, RELAY_LEASE_MS, RELAY_HEARTBEAT_MS`;

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { help: { type: 'boolean', short: 'h' } }, strict: true });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const config = loadConfig(process.env);
  const logger = createLogger(config.logLevel);
  const relay = await createRelay(config, { logger });
  await relay.start();
  await new Promise<void>((resolve, reject) => {
    relay.server.once('error', reject);
    relay.server.listen(config.port, config.host, () => resolve());
  });
  const address = relay.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info({ host: config.host, port, mode: config.inferenceMode }, `relay listening on http://${config.host}:${port}`);

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
