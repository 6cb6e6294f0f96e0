/**
 * @fileoverview `comfyume sidecar`: reads the environment, starts the sidecar where ComfyUI used to
 * listen, and shuts down gracefully on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { createSidecar } from './app';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './logger';

const HELP = `Usage: comfyume sidecar

Runs an attendee's sidecar in front of their local ComfyUI. Configuration (environment):
  SIDECAR_LISTEN         host:port to listen on (default 0.0.0.0:8188, where ComfyUI used to be)
  COMFYUI_URL            the local ComfyUI (default http://127.0.0.1:18188)
  RELAY_URL              the relay (alias QUEUE_MANAGER_URL)             [required]
  USER_ID                this attendee's user id, e.g. user001          [required]
  RELAY_TOKEN            the user's relay token (comfyume token <user>)  [required]
  COMFYUI_OUTPUT_DIR     the local ComfyUI's output folder                [required]
  COMFYUI_TEMP_DIR       the local ComfyUI's temp folder                  [required]
  COMFYUI_INPUT_DIR      the local ComfyUI's input folder                 [required]
  SIDECAR_BASE_PATH      a URL prefix to strip (e.g. /user001) when nginx does not strip it
  SIDECAR_STATE_DIR      where the sidecar keeps its small state (default ~/.comfyume/sidecar-<user>)
  SIDECAR_MAX_BODY_BYTES, SIDECAR_WS_PING_MS, SIDECAR_PREVIEW_BUFFER_BYTES, SIDECAR_OBJECT_INFO_TTL_MS,
  SIDECAR_RELAY_TIMEOUT_MS, SIDECAR_SYNTH_GRACE_MS, LOG_LEVEL
`;

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { help: { type: 'boolean', short: 'h' } }, allowPositionals: false });
  if (values.help) {
    console.log(HELP);
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
  const sidecar = createSidecar(config, { logger });
  await new Promise<void>((resolve, reject) => {
    sidecar.server.once('error', reject);
    sidecar.server.listen(config.listen.port, config.listen.host, resolve);
  });
  logger.info({ listen: config.listen, comfy: config.comfyUrl, relay: config.relayUrl }, 'sidecar listening');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'sidecar stopping');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    sidecar.server.close();
    void sidecar.close().then(() => {
      clearTimeout(force);
      logger.flush?.();
    });
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}
