// Pull worker gauges as Prometheus exposes them.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerWorkerMetrics, type WorkerSample } from './worker-metrics';

describe('worker gauges', () => {
  it('count connected and lost workers and show each one’s jobs and last-seen age', async () => {
    const registry = new Registry();
    const now = Date.now();
    const samples: WorkerSample[] = [
      { worker: 'gpu-a', state: 'ready', jobs: ['j1', 'j2'], lastSeen: now - 500 },
      { worker: 'gpu-b', state: 'down', jobs: ['j3'], lastSeen: now - 30_000 },
      { worker: 'gpu-c', state: 'ready', jobs: [] },
    ];
    registerWorkerMetrics(registry, () => samples);
    const text = await registry.metrics();
    expect(text).toContain('comfyume_workers{state="connected"} 2');
    expect(text).toContain('comfyume_workers{state="lost"} 1');
    expect(text).toContain('comfyume_worker_jobs{worker="gpu-a"} 2');
    expect(text).toContain('comfyume_worker_jobs{worker="gpu-c"} 0');
    expect(text).toMatch(/comfyume_worker_last_seen_age_seconds\{worker="gpu-b"\} 3\d\.?\d*/);
    expect(text).not.toMatch(/last_seen_age_seconds\{worker="gpu-c"\}/);
    samples.splice(1, 1);
    const after = await registry.metrics();
    expect(after).toContain('comfyume_workers{state="lost"} 0');
    expect(after).not.toContain('gpu-b');
  });
});
