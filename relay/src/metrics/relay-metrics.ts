/**
 * @fileoverview Prometheus metrics for the relay (prom-client): job counters and wait/run
 * histograms, output delivery and cold-start latencies, event sockets, and gauges read at
 * scrape time (queue depth, backends). Labels stay low-cardinality: job states, backend names,
 * outcome; user ids only with the explicit `perUserLabels` opt-in.
 *
 * Each relay replica counts what IT did (the observe calls sit where the change is made, not
 * where events are fanned out), so summing over replicas in PromQL does not double count.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { BackendState } from '../../../protocol/src/index';

export type RelayMetricsOptions = {
  /** Label `jobs_submitted_total` by user. Off by default: 200 attendees × replicas is fine, 20k is not. */
  perUserLabels?: boolean;
  /** Node's default process metrics (cpu, memory, event loop lag, GC). Default true. */
  defaultMetrics?: boolean;
  /** When set, `handler` answers 401 unless the scrape sends `Authorization: Bearer <token>`. */
  token?: string;
  /** Constant labels on every series, e.g. `{ relay: relayId }`. */
  defaultLabels?: Record<string, string>;
};

export type BackendGaugeSample = {
  name: string;
  state: BackendState;
  running: number;
  capacity: number;
};
const backendStates = BackendState.options;

type Getter<T> = () => T | Promise<T>;

export type RelayObserve = {
  /** A job was accepted (201, not an idempotent repeat). */
  jobSubmitted(userId: string): void;
  /** A job moved between states on this relay. `backend` is '' while it has none. */
  jobStateChanged(from: string, to: string, backend?: string): void;
  /**
   * A job reached done/failed/cancelled. `waitMs` created → started (or → finished if it never
   * started). `reason` (failed jobs): the error's exception type, e.g. TimeoutError (counted by
   * failureReason's category).
   */
  jobFinished(
    state: string,
    waitMs: number,
    runMs: number,
    backend?: string,
    reason?: string,
  ): void;
  /** Output file written on the GPU side → `executed` sent to the user. */
  outputDelivered(latencyMs: number): void;
  /** How long a GPU took to warm up (warming_up → running). */
  coldStart(ms: number): void;
  eventSocketOpened(): void;
  eventSocketClosed(): void;
  /** Alternative to opened/closed: read the open socket count at scrape (e.g. `() => hub.size`). */
  eventSockets(getter: Getter<number>): void;
  /** Queued jobs, read at every scrape (e.g. `() => store.counts().then(c => c.queued)`). */
  queueDepth(getter: Getter<number>): void;
  /** Running jobs, read at every scrape. */
  runningJobs(getter: Getter<number>): void;
  /** Backend states and slots, read at every scrape. */
  backends(getter: Getter<BackendGaugeSample[]>): void;
};

export type RelayMetrics = {
  registry: Registry;
  observe: RelayObserve;
  /** Serves the scrape (GET/HEAD, text exposition format). Framework-neutral. */
  handler(req: IncomingMessage, res: ServerResponse): Promise<void>;
};

// Seconds. Jobs wait from nothing to a whole workshop queue; runs are seconds to many minutes.
const waitBuckets = [0.1, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600];
const runBuckets = [0.5, 1, 2, 5, 10, 20, 30, 60, 90, 120, 180, 300, 600, 1200];
const deliveryBuckets = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30];
const coldBuckets = [1, 5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 600];

const seconds = (ms: number) => Math.max(0, ms) / 1000;

/** Why jobs fail, as a small fixed set (a label per exception type would grow without bound). */
export const failureReasons = [
  'timeout',
  'out_of_memory',
  'gpu_error',
  'invalid_prompt',
  'relay_error',
] as const;
export type FailureReason = (typeof failureReasons)[number];

/** The reason for a failed job's error exception type (JobError.exceptionType). */
export function failureReason(exceptionType: string | undefined): FailureReason {
  const type = exceptionType ?? '';
  if (/^Timeout(Error)?$/.test(type)) return 'timeout';
  if (/OutOfMemory/i.test(type)) return 'out_of_memory';
  if (/^(prompt_invalid|path_escape|PathEscape|prompt_outputs_failed_validation)$/.test(type))
    return 'invalid_prompt';
  if (type === '' || /^(RelayError|OutputStore)$/.test(type)) return 'relay_error';
  return 'gpu_error'; // the workflow raised on the GPU (RuntimeError, ValueError, …)
}
const label = (value: string | undefined) => (value === undefined || value === '' ? 'none' : value);

/**
 * A getter that fails (Redis away during a scrape) must not fail the whole scrape: the gauge
 * keeps its last value and `scrape_errors_total` says something is off.
 */
function reader(errors: () => Counter<'source'>) {
  const inflight = new Set<Promise<unknown>>();
  const read = <T>(getter: Getter<T> | undefined, source: string): Promise<T | undefined> => {
    if (!getter) return Promise.resolve(undefined);
    const promise = (async () => {
      try {
        return await getter();
      } catch {
        errors().inc({ source });
        return undefined;
      }
    })();
    inflight.add(promise);
    void promise.finally(() => inflight.delete(promise));
    return promise;
  };
  /** Lets the error counter wait for this scrape's reads, so a failure shows in the same scrape. */
  const settled = () => Promise.allSettled([...inflight]);
  return { read, settled };
}

export function createRelayMetrics(options: RelayMetricsOptions = {}): RelayMetrics {
  const registry = new Registry();
  if (options.defaultLabels) registry.setDefaultLabels(options.defaultLabels);
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const p = 'comfyume_relay_';

  const getters: {
    queued?: Getter<number>;
    running?: Getter<number>;
    sockets?: Getter<number>;
    backends?: Getter<BackendGaugeSample[]>;
  } = {};

  // The error counter is registered last (below), so its collect runs after every gauge has
  // started its read; the closure only runs at scrape time, after it exists.
  const { read, settled } = reader(() => scrapeErrors);
  const submitted = new Counter({
    name: `${p}jobs_submitted_total`,
    help: 'Jobs accepted by this relay',
    labelNames: options.perUserLabels ? ['user'] : [],
    registers,
  });
  const transitions = new Counter({
    name: `${p}job_transitions_total`,
    help: 'Job state changes made by this relay',
    labelNames: ['from', 'to', 'backend'],
    registers,
  });
  const finished = new Counter({
    name: `${p}jobs_finished_total`,
    help: 'Jobs that reached a final state on this relay',
    labelNames: ['state', 'backend'],
    registers,
  });
  const failures = new Counter({
    name: `${p}job_failures_total`,
    help: `Jobs that failed on this relay, by reason (${failureReasons.join(', ')})`,
    labelNames: ['reason'],
    registers,
  });
  // Every reason exists from the start at 0, so increase() in PromQL counts a reason's first failure.
  for (const reason of failureReasons) failures.inc({ reason }, 0);
  const wait = new Histogram({
    name: `${p}job_wait_seconds`,
    help: 'Created → started (queue + submit + cold start), per finished job',
    labelNames: ['state', 'backend'],
    buckets: waitBuckets,
    registers,
  });
  const run = new Histogram({
    name: `${p}job_run_seconds`,
    help: 'Started → finished, per job that started',
    labelNames: ['state', 'backend'],
    buckets: runBuckets,
    registers,
  });
  const delivery = new Histogram({
    name: `${p}output_delivery_seconds`,
    help: 'Output file written on the GPU side → executed sent to the user',
    buckets: deliveryBuckets,
    registers,
  });
  const cold = new Histogram({
    name: `${p}cold_start_seconds`,
    help: 'GPU warm-up time seen by jobs',
    buckets: coldBuckets,
    registers,
  });
  const socketsOpen = new Gauge({
    name: `${p}event_sockets`,
    help: 'Open /api/events WebSockets on this relay',
    registers,
    async collect() {
      const value = await read(getters.sockets, 'event_sockets');
      if (value !== undefined) this.set(value);
    },
  });
  const socketsOpened = new Counter({
    name: `${p}event_sockets_opened_total`,
    help: '/api/events WebSockets accepted',
    registers,
  });
  new Gauge({
    name: `${p}queue_depth`,
    help: 'Jobs waiting in the queue (all relays; read from Redis at scrape)',
    registers,
    async collect() {
      const value = await read(getters.queued, 'queue_depth');
      if (value !== undefined) this.set(value);
    },
  });
  new Gauge({
    name: `${p}running_jobs`,
    help: 'Jobs claimed and running (all relays; read from Redis at scrape)',
    registers,
    async collect() {
      const value = await read(getters.running, 'running_jobs');
      if (value !== undefined) this.set(value);
    },
  });

  // The three backend gauges share one read per scrape.
  let backendRead: Promise<BackendGaugeSample[] | undefined> | undefined;
  const readBackends = () => {
    backendRead ??= read(getters.backends, 'backends').finally(() =>
      setTimeout(() => (backendRead = undefined), 0),
    );
    return backendRead;
  };
  new Gauge({
    name: `${p}backend_state`,
    help: '1 for the current state of each backend, 0 for the others',
    labelNames: ['backend', 'state'],
    registers,
    async collect() {
      const samples = await readBackends();
      if (!samples) return;
      this.reset();
      for (const b of samples)
        for (const state of backendStates)
          this.set({ backend: b.name, state }, b.state === state ? 1 : 0);
    },
  });
  new Gauge({
    name: `${p}backend_running`,
    help: 'Jobs running on each backend',
    labelNames: ['backend'],
    registers,
    async collect() {
      const samples = await readBackends();
      if (!samples) return;
      this.reset();
      for (const b of samples) this.set({ backend: b.name }, b.running);
    },
  });
  new Gauge({
    name: `${p}backend_capacity`,
    help: 'Job slots of each backend',
    labelNames: ['backend'],
    registers,
    async collect() {
      const samples = await readBackends();
      if (!samples) return;
      this.reset();
      for (const b of samples) this.set({ backend: b.name }, b.capacity);
    },
  });

  const scrapeErrors: Counter<'source'> = new Counter({
    name: `${p}scrape_errors_total`,
    help: 'Gauge reads that failed during a scrape (the gauge kept its last value)',
    labelNames: ['source'],
    registers,
    async collect() {
      await settled();
    },
  });

  const seenBackends = new Set<string>();
  const observe: RelayObserve = {
    jobSubmitted(userId) {
      if (options.perUserLabels) submitted.inc({ user: userId });
      else submitted.inc();
    },
    jobStateChanged(from, to, backend) {
      transitions.inc({ from, to, backend: label(backend) });
      // A backend's outcome series exist at 0 from its first job on, so PromQL's rate() and
      // increase() count the first failure (a series born at 1 shows no increase).
      const name = label(backend);
      if (!seenBackends.has(name)) {
        seenBackends.add(name);
        for (const state of ['done', 'failed', 'cancelled'])
          finished.inc({ state, backend: name }, 0);
      }
    },
    jobFinished(state, waitMs, runMs, backend, reason) {
      const labels = { state, backend: label(backend) };
      finished.inc(labels);
      if (state === 'failed') failures.inc({ reason: failureReason(reason) });
      wait.observe(labels, seconds(waitMs));
      if (runMs > 0) run.observe(labels, seconds(runMs));
    },
    outputDelivered(latencyMs) {
      delivery.observe(seconds(latencyMs));
    },
    coldStart(ms) {
      cold.observe(seconds(ms));
    },
    eventSocketOpened() {
      socketsOpened.inc();
      socketsOpen.inc();
    },
    eventSocketClosed() {
      socketsOpen.dec();
    },
    eventSockets(getter) {
      getters.sockets = getter;
    },
    queueDepth(getter) {
      getters.queued = getter;
    },
    runningJobs(getter) {
      getters.running = getter;
    },
    backends(getter) {
      getters.backends = getter;
    },
  };

  const expected = options.token ? Buffer.from(`Bearer ${options.token}`) : undefined;
  const authorized = (req: IncomingMessage) => {
    if (!expected) return true;
    const got = Buffer.from(req.headers.authorization ?? '');
    return got.length === expected.length && timingSafeEqual(got, expected);
  };

  async function handler(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res
        .writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' })
        .end('method not allowed\n');
      return;
    }
    if (!authorized(req)) {
      res
        .writeHead(401, { 'www-authenticate': 'Bearer', 'content-type': 'text/plain' })
        .end('send Authorization: Bearer <metrics token>\n');
      return;
    }
    try {
      const body = await registry.metrics();
      res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (error) {
      res
        .writeHead(500, { 'content-type': 'text/plain' })
        .end(`metrics collection failed: ${(error as Error).message}\n`);
    }
  }

  return { registry, observe, handler };
}
