/**
 * @fileoverview Gauges of the GPU replicas that run the agent, read from their heartbeats at each
 * scrape: how many are live or stale, each one's heartbeat age, and the jobs each runs and holds.
 * Replica ids are few (one per GPU container) and stale ones are forgotten after 10 minutes, so
 * labelling by replica keeps the cardinality low.
 */
import { Gauge, type Registry } from 'prom-client';

export type ReplicaSample = {
  replica: string;
  state: 'live' | 'stale';
  /** Relay clock (ms epoch) of the heartbeat's last change. */
  lastSeenAt: number;
  running: unknown | null;
  pending: unknown[];
};

export function registerReplicaMetrics(registry: Registry, read: () => ReplicaSample[]): void {
  const p = 'comfyume_relay_gpu_replica';
  new Gauge({
    name: `${p}s`,
    help: 'GPU replicas with the agent, by heartbeat state (stale: no heartbeat change within AGENT_STALE_S)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const samples = read();
      for (const state of ['live', 'stale'] as const)
        this.set({ state }, samples.filter((s) => s.state === state).length);
    },
  });
  new Gauge({
    name: `${p}_heartbeat_age_seconds`,
    help: 'Seconds since each GPU replica last changed its heartbeat',
    labelNames: ['replica'],
    registers: [registry],
    collect() {
      this.reset();
      const now = Date.now();
      for (const s of read())
        this.set({ replica: s.replica }, Math.max(0, now - s.lastSeenAt) / 1000);
    },
  });
  new Gauge({
    name: `${p}_jobs`,
    help: 'Jobs each GPU replica runs (0 or 1) and holds in its queue, as its heartbeat says',
    labelNames: ['replica', 'kind'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of read()) {
        this.set({ replica: s.replica, kind: 'running' }, s.running ? 1 : 0);
        this.set({ replica: s.replica, kind: 'pending' }, s.pending.length);
      }
    },
  });
}
