/**
 * @fileoverview Variables only the Docker deployment reads (docker/compose.yaml interpolates
 * them; no process parses them). Kept as a zod schema like the relay's and the sidecar's, so
 * .env.example documents them from the same kind of source, and so `comfyume env` can check them.
 */
import { z } from 'zod';

const port = z.coerce.number().int().min(1).max(65535);

export const DeployEnvSchema = z.object({
  COMFYUME_TAG: z
    .string()
    .default('local')
    .describe('Image tag for comfyume/attendee and comfyume/relay.'),
  SFS_HOST_PATH: z
    .string()
    .default('/mnt/sfs')
    .describe(
      'Where the shared GPU storage (SFS) is mounted on the Docker host; the relay sees it at /sfs.',
    ),
  NGINX_PORT: port
    .default(80)
    .describe('Host port nginx publishes. `comfyume up --port` sets it for local runs.'),
  NGINX_BIND: z
    .string()
    .default('0.0.0.0')
    .describe('Host interface nginx listens on; 127.0.0.1 when a TLS proxy sits in front.'),
  TZ: z
    .string()
    .default('UTC')
    .describe(
      "The relay container's time zone (e.g. Europe/Berlin): PREWARM_SCHEDULE's times are read in it.",
    ),
  MONITORING_BIND: z
    .string()
    .default('127.0.0.1')
    .describe(
      'Host interface Prometheus and Grafana listen on (compose profile "monitoring"); keep 127.0.0.1 and reach them through an SSH tunnel or a proxy with auth.',
    ),
  PROMETHEUS_PORT: port
    .default(9090)
    .describe('Host port of Prometheus (compose profile "monitoring").'),
  GRAFANA_PORT: port
    .default(3001)
    .describe(
      'Host port of Grafana (compose profile "monitoring"); its ComfyuME dashboard is provisioned.',
    ),
  GRAFANA_ADMIN_PASSWORD: z
    .string()
    .min(12, 'at least 12 characters')
    .describe('Password of Grafana\'s "admin" user. Required for the monitoring profile.'),
});
