/** @fileoverview createRelayMetrics: series after observations, scrape-time gauges, the HTTP handler (real server). */
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createRelayMetrics, failureReason } from './relay-metrics';

/** The value of one sample line, e.g. `comfyume_relay_queue_depth 7`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('createRelayMetrics', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
  });

  it('counts submissions, transitions and finished jobs with low-cardinality labels', async () => {
    const { registry, observe } = createRelayMetrics({ defaultMetrics: false });
    observe.jobSubmitted('user001');
    observe.jobSubmitted('user002');
    observe.jobStateChanged('queued', 'submitting', 'gpu-a');
    observe.jobStateChanged('submitting', 'running', 'gpu-a');
    observe.jobStateChanged('queued', 'cancelled');
    observe.jobFinished('done', 4_000, 12_500, 'gpu-a');
    observe.jobFinished('failed', 250, 0, 'gpu-a');
    observe.jobFinished('failed', 250, 0, 'gpu-a', 'TimeoutError');
    const text = await registry.metrics();
    expect(sample(text, 'comfyume_relay_jobs_submitted_total')).toBe(2);
    expect(sample(text, 'comfyume_relay_job_failures_total{reason="timeout"}')).toBe(1);
    expect(sample(text, 'comfyume_relay_job_failures_total{reason="relay_error"}')).toBe(1);
    // Present at 0 before any failure, so PromQL's increase() sees a reason's first failure.
    expect(sample(text, 'comfyume_relay_job_failures_total{reason="out_of_memory"}')).toBe(0);
    expect(
      ['torch.OutOfMemoryError', 'RuntimeError', 'prompt_invalid', undefined].map(failureReason),
    ).toEqual(['out_of_memory', 'gpu_error', 'invalid_prompt', 'relay_error']);
    expect(text).not.toContain('user001');
    expect(
      sample(
        text,
        'comfyume_relay_job_transitions_total{from="queued",to="submitting",backend="gpu-a"}',
      ),
    ).toBe(1);
    expect(
      sample(
        text,
        'comfyume_relay_job_transitions_total{from="queued",to="cancelled",backend="none"}',
      ),
    ).toBe(1);
    expect(sample(text, 'comfyume_relay_jobs_finished_total{state="done",backend="gpu-a"}')).toBe(
      1,
    );
    expect(sample(text, 'comfyume_relay_job_wait_seconds_sum{state="done",backend="gpu-a"}')).toBe(
      4,
    );
    expect(
      sample(text, 'comfyume_relay_job_wait_seconds_bucket{le="5",state="done",backend="gpu-a"}'),
    ).toBe(1);
    expect(
      sample(text, 'comfyume_relay_job_wait_seconds_bucket{le="2",state="done",backend="gpu-a"}'),
    ).toBe(0);
    expect(sample(text, 'comfyume_relay_job_run_seconds_sum{state="done",backend="gpu-a"}')).toBe(
      12.5,
    );
    // A job that never ran has no run-time sample (it would drag the histogram to zero).
    expect(
      sample(text, 'comfyume_relay_job_run_seconds_count{state="failed",backend="gpu-a"}'),
    ).toBeUndefined();
  });

  it('labels submissions by user only when asked to', async () => {
    const { registry, observe } = createRelayMetrics({
      defaultMetrics: false,
      perUserLabels: true,
    });
    observe.jobSubmitted('user001');
    observe.jobSubmitted('user001');
    expect(
      sample(await registry.metrics(), 'comfyume_relay_jobs_submitted_total{user="user001"}'),
    ).toBe(2);
  });

  it('records delivery and cold-start latencies and open sockets', async () => {
    const { registry, observe } = createRelayMetrics({ defaultMetrics: false });
    observe.outputDelivered(40);
    observe.outputDelivered(300);
    observe.coldStart(42_000);
    observe.eventSocketOpened();
    observe.eventSocketOpened();
    observe.eventSocketOpened();
    observe.eventSocketClosed();
    const text = await registry.metrics();
    expect(sample(text, 'comfyume_relay_output_delivery_seconds_count')).toBe(2);
    expect(sample(text, 'comfyume_relay_output_delivery_seconds_bucket{le="0.05"}')).toBe(1);
    expect(sample(text, 'comfyume_relay_cold_start_seconds_sum')).toBe(42);
    expect(sample(text, 'comfyume_relay_event_sockets')).toBe(2);
    expect(sample(text, 'comfyume_relay_event_sockets_opened_total')).toBe(3);
  });

  it('reads gauges at scrape time and survives a failing getter', async () => {
    const { registry, observe } = createRelayMetrics({ defaultMetrics: false });
    let depth = 3;
    let fail = false;
    observe.queueDepth(async () => {
      if (fail) throw new Error('redis down');
      return depth;
    });
    observe.runningJobs(() => 2);
    observe.backends(() => [
      { name: 'gpu-a', state: 'warming_up', running: 1, capacity: 4 },
      { name: 'gpu-b', state: 'ready', running: 0, capacity: 2 },
    ]);
    let text = await registry.metrics();
    expect(sample(text, 'comfyume_relay_queue_depth')).toBe(3);
    expect(sample(text, 'comfyume_relay_running_jobs')).toBe(2);
    expect(sample(text, 'comfyume_relay_backend_state{backend="gpu-a",state="warming_up"}')).toBe(
      1,
    );
    expect(sample(text, 'comfyume_relay_backend_state{backend="gpu-a",state="ready"}')).toBe(0);
    expect(sample(text, 'comfyume_relay_backend_capacity{backend="gpu-b"}')).toBe(2);
    expect(sample(text, 'comfyume_relay_backend_running{backend="gpu-a"}')).toBe(1);
    observe.eventSockets(() => 17);
    expect(sample(await registry.metrics(), 'comfyume_relay_event_sockets')).toBe(17);
    depth = 9;
    expect(sample(await registry.metrics(), 'comfyume_relay_queue_depth')).toBe(9);
    fail = true;
    text = await registry.metrics();
    expect(sample(text, 'comfyume_relay_queue_depth')).toBe(9);
    expect(sample(text, 'comfyume_relay_scrape_errors_total{source="queue_depth"}')).toBe(1);
  });

  it('serves the exposition format over HTTP, with default metrics, an optional token and constant labels', async () => {
    const { handler, observe } = createRelayMetrics({
      token: 'scrape-secret',
      defaultLabels: { relay: 'relay-1' },
    });
    observe.jobSubmitted('u');
    server = createServer((req, res) => void handler(req, res));
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const address = server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/metrics`;

    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect(
      (await fetch(url, { method: 'POST', headers: { authorization: 'Bearer scrape-secret' } }))
        .status,
    ).toBe(405);
    const ok = await fetch(url, { headers: { authorization: 'Bearer scrape-secret' } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await ok.text();
    expect(sample(text, 'comfyume_relay_jobs_submitted_total{relay="relay-1"}')).toBe(1);
    expect(text).toMatch(/^process_resident_memory_bytes\{relay="relay-1"\} \d+/m);
    expect(text).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
  });
});
