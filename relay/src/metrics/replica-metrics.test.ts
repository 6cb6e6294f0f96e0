// Replica gauges as Prometheus exposes them.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerReplicaMetrics, type ReplicaSample } from './replica-metrics';

describe('replica gauges', () => {
  it('count live and stale replicas and show each one’s heartbeat age and jobs', async () => {
    const registry = new Registry();
    const now = Date.now();
    const samples: ReplicaSample[] = [
      {
        replica: 'gpu-a',
        state: 'live',
        lastSeenAt: now - 1000,
        running: { job: 'x' },
        pending: [{}, {}],
      },
      { replica: 'gpu-b', state: 'stale', lastSeenAt: now - 30_000, running: null, pending: [] },
    ];
    registerReplicaMetrics(registry, () => samples);
    const text = await registry.metrics();
    expect(text).toContain('comfyume_relay_gpu_replicas{state="live"} 1');
    expect(text).toContain('comfyume_relay_gpu_replicas{state="stale"} 1');
    expect(text).toMatch(
      /comfyume_relay_gpu_replica_heartbeat_age_seconds\{replica="gpu-b"\} 3\d\.?\d*/,
    );
    expect(text).toContain('comfyume_relay_gpu_replica_jobs{replica="gpu-a",kind="running"} 1');
    expect(text).toContain('comfyume_relay_gpu_replica_jobs{replica="gpu-a",kind="pending"} 2');
    samples.pop(); // forgotten replicas leave the per-replica series
    expect(await registry.metrics()).not.toContain('gpu-b');
  });
});
