/**
 * @fileoverview Debian's Prometheus as an ordinary user process for `comfyume up --monitoring`:
 * a config scraping every relay given, sending the admin token as a bearer token (the relay's
 * /metrics requires it unless METRICS_PUBLIC=1), data in the workshop's data folder, health-waited on /-/ready.
 * The Docker deployment's scrape config (docker/monitoring/prometheus.yml) differs only in how
 * it finds the relays (DNS of the compose service) and where the token file lives.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { httpOk, spawnManaged, waitUntil, type ManagedProcess } from './processes';

export const PROMETHEUS_CANDIDATES = ['/usr/bin/prometheus', '/usr/local/bin/prometheus'];

/** The scrape job every query of the ComfyuME dashboard reads (`up{job="comfyume-relay"}`). */
export const RELAY_SCRAPE_JOB = 'comfyume-relay';

export function findPrometheus(): string | undefined {
  return PROMETHEUS_CANDIDATES.find((path) => existsSync(path));
}

export type LocalPrometheusOptions = {
  host: string;
  port: number;
  /** host:port of every relay replica. */
  relayTargets: readonly string[];
  /** Sent as `Authorization: Bearer …` on every scrape. */
  metricsToken: string;
  dir: string;
  scrapeIntervalS?: number;
  logFile?: string;
  echo?: NodeJS.WritableStream;
};

export function localScrapeConfig(o: {
  relayTargets: readonly string[];
  tokenFile: string;
  scrapeIntervalS: number;
}): string {
  const interval = `${o.scrapeIntervalS}s`;
  return stringify({
    global: { scrape_interval: interval, evaluation_interval: interval },
    scrape_configs: [
      {
        job_name: RELAY_SCRAPE_JOB,
        metrics_path: '/metrics',
        authorization: { type: 'Bearer', credentials_file: o.tokenFile },
        static_configs: [{ targets: [...o.relayTargets], labels: { workshop: 'local' } }],
      },
    ],
  });
}

export type LocalPrometheus = { url: string; process: ManagedProcess; configFile: string };

export async function startLocalPrometheus(o: LocalPrometheusOptions): Promise<LocalPrometheus> {
  const binary = findPrometheus();
  if (!binary)
    throw new Error(
      'Prometheus is not installed: run ./scripts/setup.sh --monitoring (or apt-get install prometheus), or drop --monitoring',
    );
  await mkdir(join(o.dir, 'tsdb'), { recursive: true });
  const tokenFile = join(o.dir, 'metrics-token');
  await writeFile(tokenFile, o.metricsToken, { mode: 0o600 });
  await chmod(tokenFile, 0o600);
  const configFile = join(o.dir, 'prometheus.yml');
  await writeFile(
    configFile,
    localScrapeConfig({
      relayTargets: o.relayTargets,
      tokenFile,
      scrapeIntervalS: o.scrapeIntervalS ?? 5,
    }),
  );
  const proc = spawnManaged(
    'prometheus',
    binary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(o.dir, 'tsdb')}`,
      `--web.listen-address=${o.host}:${o.port}`,
      '--storage.tsdb.retention.time=15d',
    ],
    { logFile: o.logFile, echo: o.echo },
  );
  const url = `http://${o.host}:${o.port}`;
  await waitUntil('prometheus', () => httpOk(`${url}/-/ready`), {
    process: proc,
    timeoutMs: 60_000,
  });
  return { url, process: proc, configFile };
}
