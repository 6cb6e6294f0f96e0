/**
 * @fileoverview The monitoring that ships with the deploy, proven without Grafana (not in
 * Debian's archive): the workshop `comfyume up --monitoring` runs (Redis, relay, simulated
 * serverless GPU, sidecars, and Debian's Prometheus scraping the relay with the operator token)
 * does real work — jobs that succeed, a GPU that scales from zero (cold start) and a node that
 * fails — and then EVERY PromQL query of the provisioned Grafana dashboard is run against that
 * live Prometheus and must return data. What each query returned is written to
 * reports/ops-monitoring-queries.md for the operator's record.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPrompt } from '../../cli/src/client/comfy-client';
import { parseTarget } from '../../cli/src/client/target';
import { cliBin } from '../../cli/src/paths';
import {
  spawnManaged,
  waitUntil,
  httpOk,
  type ManagedProcess,
} from '../../cli/src/stack/processes';
import { startStack, type Stack } from '../../cli/src/stack/stack';
import { parseUpConfig } from '../../cli/src/stack/up-config';
import { mintUserToken } from '../../kit/user-token';
import { dashboardQueries, readDashboard } from '../support/dashboard';
import { freePort } from '../../kit/free-port';

const root = resolve(import.meta.dirname, '../..');

type Sample = { metric: Record<string, string>; value: [number, string] };

async function query(prometheus: string, expr: string): Promise<Sample[]> {
  const res = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as {
    status: string;
    error?: string;
    data?: { resultType: string; result: Sample[] };
  };
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error ?? res.status}`);
  return body.data!.result;
}

/** A fresh image per job (the GPU's cache would otherwise answer repeats without running them). */
const imageJob = (color: number, middle: 'ImageBlur' | 'ImageInvert') => ({
  '1': { class_type: 'EmptyImage', inputs: { width: 64, height: 64, batch_size: 1, color } },
  '2': {
    class_type: middle,
    inputs:
      middle === 'ImageBlur' ? { image: ['1', 0], blur_radius: 2, sigma: 1 } : { image: ['1', 0] },
  },
  '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'monitoring' } },
});

describe('the Grafana dashboard against a live Prometheus scraping a working relay', () => {
  let home: string;
  let stack: Stack | undefined;
  let restartedGpu: ManagedProcess | undefined;
  let prometheus: string;

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'comfyume-monitoring-'));
    const config = parseUpConfig(
      {
        users: 2,
        nginx: false,
        port: 8080,
        dataDir: join(home, 'data'),
        host: '127.0.0.1',
        stepMs: 20,
        coldStartMs: 0,
        replicas: 1,
        workers: 0,
        simulatedVia: 'serverless',
        relayPort: 0,
        verbose: false,
        monitoring: true,
        prometheusPort: await freePort(),
      },
      {},
    );
    const relaySecret = 'monitoring-test-secret-0123456789';
    stack = await startStack({
      config,
      relaySecret,
      adminToken: 'monitoring-test-admin-token-0123',
      users: ['user001', 'user002'].map((id) => ({
        id,
        password: 'unused',
        token: mintUserToken(relaySecret, id),
        url: '',
      })),
      usersDir: join(home, 'data', 'users'),
    });
    prometheus = stack.prometheusUrl!;
  });

  afterAll(async () => {
    await restartedGpu?.stop();
    await stack?.stop();
    await rm(home, { recursive: true, force: true });
  });

  it('Prometheus scrapes the relay, sending the operator token', async () => {
    await waitUntil(
      'the relay target is up',
      async () => {
        const up = await query(prometheus, 'up{job="comfyume-relay"}');
        return up.length === 1 && up[0]!.value[1] === '1';
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
  });

  it('jobs succeed, a cold GPU warms up, a failing node fails', async () => {
    const [a, b] = stack!.attendees.map((x) => parseTarget(x.sidecarUrl));
    // Warm: two jobs per attendee.
    const first = await Promise.all(
      [1, 2, 3, 4].map((n) =>
        runPrompt(n % 2 ? a! : b!, imageJob(n * 1000, 'ImageBlur'), { timeoutMs: 120_000 }),
      ),
    );
    expect(first.map((r) => r.error ?? 'ok')).toEqual(['ok', 'ok', 'ok', 'ok']);
    // A scrape between the two phases, so rates over the counters see them grow.
    await waitUntil(
      'Prometheus has scraped the first jobs',
      async () => {
        const done = await query(
          prometheus,
          'sum(comfyume_relay_jobs_finished_total{state="done"})',
        );
        return Number(done[0]?.value[1] ?? 0) >= 4;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );

    // The serverless GPU scales to zero and comes back cold: 503 for 4 s, and ImageInvert fails on it.
    const gpu = stack!.processes.find((p) => p.name === 'gpu')!;
    await gpu.stop();
    const gpuDir = join(home, 'data', 'gpu');
    restartedGpu = spawnManaged(
      'gpu-cold',
      process.execPath,
      [
        cliBin,
        'simulate',
        '--host',
        '127.0.0.1',
        '--port',
        new URL(stack!.gpuUrl!).port,
        '--output-dir',
        join(gpuDir, 'output'),
        '--input-dir',
        join(gpuDir, 'input'),
        '--temp-dir',
        join(gpuDir, 'temp'),
        '--step-ms',
        '20',
        '--cold-start-ms',
        '4000',
        '--fail-node',
        'ImageInvert',
      ],
      { logFile: join(home, 'gpu-cold.log') },
    );
    await waitUntil(
      'the cold GPU listens',
      async () => {
        const res = await fetch(`${stack!.gpuUrl}/system_stats`).catch(() => undefined);
        return res?.status === 503 || res?.status === 200;
      },
      { process: restartedGpu, timeoutMs: 60_000 },
    );

    const [cold, failing] = await Promise.all([
      runPrompt(a!, imageJob(77, 'ImageBlur'), { timeoutMs: 120_000 }),
      runPrompt(b!, imageJob(78, 'ImageInvert'), { timeoutMs: 120_000 }),
    ]);
    expect(cold.error ?? 'ok').toBe('ok');
    expect(failing.ok).toBe(false);
    expect(await httpOk(`${stack!.gpuUrl}/system_stats`)).toBe(true);
  });

  it('every PromQL query of the dashboard returns data', async () => {
    // Wait for a scrape that saw all of it: 6 finished jobs, a cold start, a failure.
    await waitUntil(
      'Prometheus has scraped the finished jobs',
      async () => {
        const [finished, colds, failures] = await Promise.all([
          query(prometheus, 'sum(comfyume_relay_jobs_finished_total)'),
          query(prometheus, 'sum(comfyume_relay_cold_start_seconds_count)'),
          query(prometheus, 'sum(comfyume_relay_job_failures_total)'),
        ]);
        const n = (r: Sample[]) => Number(r[0]?.value[1] ?? 0);
        return n(finished) >= 6 && n(colds) >= 1 && n(failures) >= 1;
      },
      { timeoutMs: 60_000, intervalMs: 1000 },
    );

    const dashboard = await readDashboard();
    const queries = dashboardQueries(dashboard, { rateInterval: '5m', range: '1h' });
    expect(queries.length).toBeGreaterThanOrEqual(20);
    const lines = [
      `# Dashboard "${dashboard.title}": every query against live Prometheus (${new Date().toISOString()})`,
      '',
    ];
    const empty: string[] = [];
    for (const q of queries) {
      const result = await query(prometheus, q.expr);
      const values = result.map((s) => {
        const labels = Object.entries(s.metric).filter(
          ([k]) => !['instance', 'job', 'workshop', 'relay'].includes(k),
        );
        return `${labels.map(([k, v]) => `${k}=${v}`).join(',') || '·'} → ${Number(s.value[1]).toPrecision(4)}`;
      });
      lines.push(
        `- **${q.panel}** [${q.refId}] \`${q.expr}\``,
        `  - ${values.join('; ') || '(no data)'}`,
      );
      const finite = result.filter((s) => Number.isFinite(Number(s.value[1])));
      if (finite.length === 0) empty.push(`${q.panel} [${q.refId}]: ${q.expr}`);
    }
    await mkdir(join(root, 'reports'), { recursive: true });
    await writeFile(join(root, 'reports', 'ops-monitoring-queries.md'), `${lines.join('\n')}\n`);
    expect(empty, lines.join('\n')).toEqual([]);

    // And the numbers say what happened, not just "something".
    const byReason = await query(
      prometheus,
      'sum by (reason) (comfyume_relay_job_failures_total) > 0',
    );
    expect(byReason.map((s) => [s.metric.reason, Number(s.value[1])])).toEqual([['gpu_error', 1]]);
    const perUser = await query(prometheus, 'sum by (user) (comfyume_relay_jobs_submitted_total)');
    expect(Object.fromEntries(perUser.map((s) => [s.metric.user, Number(s.value[1])]))).toEqual({
      user001: 3,
      user002: 3,
    });
    const outcomes = await query(
      prometheus,
      'sum by (state) (increase(comfyume_relay_jobs_finished_total[5m])) > 0',
    );
    expect(outcomes.map((s) => s.metric.state).sort()).toEqual(['done', 'failed']);
    const growth = await query(
      prometheus,
      'sum by (user) (increase(comfyume_relay_jobs_submitted_total[5m])) > 0',
    );
    expect(growth.map((s) => s.metric.user).sort()).toEqual(['user001', 'user002']);
  });
});
