/**
 * @fileoverview Gauges of the pull workers this relay knows, read at each scrape: how many are
 * connected and how many lost (known, socket away: within their lease or gone), and for each one
 * the jobs it runs here and the seconds since it was last heard from. Worker names are few (one per
 * GPU box, from their tokens), so labelling by worker keeps the cardinality low.
 */
import { Gauge, type Registry } from 'prom-client';
import type { BackendState } from '../../../protocol/src/index';

export type WorkerSample = {
  worker: string;
  state: BackendState;
  jobs: string[];
  /** ms epoch of the last frame or upload byte from it. */
  lastSeen?: number;
};

export function registerWorkerMetrics(registry: Registry, read: () => WorkerSample[]): void {
  new Gauge({
    name: 'comfyume_workers',
    help: 'Pull workers (comfyume worker) this relay knows, by state: connected, or lost (its socket is away: its jobs wait WORKER_LEASE_MS, then move)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const samples = read();
      const connected = samples.filter((s) => s.state !== 'down').length;
      this.set({ state: 'connected' }, connected);
      this.set({ state: 'lost' }, samples.length - connected);
    },
  });
  new Gauge({
    name: 'comfyume_worker_jobs',
    help: 'Jobs each pull worker runs for this relay now',
    labelNames: ['worker'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of read()) this.set({ worker: s.worker }, s.jobs.length);
    },
  });
  new Gauge({
    name: 'comfyume_worker_last_seen_age_seconds',
    help: 'Seconds since each pull worker was last heard from (a frame on its socket, its uploads)',
    labelNames: ['worker'],
    registers: [registry],
    collect() {
      this.reset();
      const now = Date.now();
      for (const s of read())
        if (s.lastSeen !== undefined)
          this.set({ worker: s.worker }, Math.max(0, now - s.lastSeen) / 1000);
    },
  });
}
