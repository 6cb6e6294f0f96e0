/**
 * @fileoverview Runs the selected benchmarks on one rig, in a fixed order, each bounded in count
 * and time; a benchmark that fails is reported as an error and the others still run. Writes
 * reports/bench.json and reports/bench.md and returns the report.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { startLoadClient, type LoadClient } from './load/child';
import { BENCHES, markdownTable, toJson, type BenchName, type Report, type Row } from './report';
import { startRig, type Attendee, type RelayRig, type Rig } from './rig';
import { admissions, type AdmissionOptions } from './scenarios/admissions';
import { agentBench, type AgentPathOptions } from './scenarios/agent-paths';
import { eventFanout, type EventOptions } from './scenarios/event-fanout';
import { eventSidecars, type SidecarEventOptions } from './scenarios/event-sidecars';
import { memory, type MemoryOptions } from './scenarios/memory';
import { panels, type PanelOptions } from './scenarios/panels';
import { promptLatency, type PromptLatencyOptions } from './scenarios/prompt-latency';
import { viewThroughput, type ViewOptions } from './scenarios/view-throughput';
import { workerLatency } from './scenarios/worker-latency';

export type Sizes = {
  prompt: PromptLatencyOptions;
  view: ViewOptions;
  admissions: AdmissionOptions;
  memory: MemoryOptions;
  panels: PanelOptions;
  events: EventOptions;
  sidecarEvents: SidecarEventOptions;
  agent: AgentPathOptions;
};

const size = { width: 512, height: 512, steps: 4 };

export const SIZES: Record<'quick' | 'default', Sizes> = {
  quick: {
    prompt: { runs: 6, warmup: 2, size, timeoutMs: 60_000 },
    view: { concurrency: 8, durationMs: 1_500, rounds: 1, maxRequests: 20_000 },
    admissions: { count: 200, concurrency: 16, maxMs: 8_000, users: 200, size },
    memory: { sockets: 20, jobs: 3, samples: 3, size },
    panels: { jobs: 5, reads: 30, size: { width: 64, height: 64, steps: 2 }, timeoutMs: 60_000 },
    events: { users: 200, socketsPerUser: 5, events: 40, intervalMs: 20, jobsPerUser: 1 },
    sidecarEvents: { sidecars: 4, tabsPerSidecar: 50, events: 40, intervalMs: 20 },
    agent: {
      runs: 3,
      deaths: 1,
      size: { width: 64, height: 64, steps: 4 },
      longSteps: 400,
      timeoutMs: 60_000,
      stepMs: 20,
      jobTimeoutS: 20,
    },
  },
  default: {
    prompt: { runs: 50, warmup: 5, size, timeoutMs: 120_000 },
    view: { concurrency: 16, durationMs: 8_000, rounds: 2, maxRequests: 200_000 },
    admissions: { count: 3_000, concurrency: 32, maxMs: 30_000, users: 200, size },
    memory: { sockets: 100, jobs: 20, samples: 5, size },
    panels: { jobs: 30, reads: 200, size: { width: 64, height: 64, steps: 2 }, timeoutMs: 120_000 },
    events: { users: 200, socketsPerUser: 5, events: 400, intervalMs: 20, jobsPerUser: 15 },
    sidecarEvents: { sidecars: 20, tabsPerSidecar: 50, events: 400, intervalMs: 20 },
    agent: {
      runs: 10,
      deaths: 2,
      size: { width: 64, height: 64, steps: 4 },
      longSteps: 400,
      timeoutMs: 120_000,
      stepMs: 20,
      jobTimeoutS: 60,
    },
  },
};

/** Where progress goes: one task per step (a spinner on a terminal, plain lines in a log). */
export type StepReporter = {
  start(title: string): { succeed(text?: string): void; fail(text?: string): void };
};

export type RunOptions = {
  mode: 'quick' | 'default';
  only?: BenchName[];
  reportsDir: string;
  log?: (line: string) => void;
  progress?: StepReporter;
};

/** Without a reporter, steps are plain `log` lines, as before. */
function logReporter(log: (line: string) => void): StepReporter {
  return {
    start(title) {
      const began = Date.now();
      log(`${title} …`);
      const took = () => `${((Date.now() - began) / 1000).toFixed(1)} s`;
      return {
        succeed: () => log(`  done in ${took()}`),
        fail: (text) => log(`  failed: ${text ?? ''}`),
      };
    },
  };
}

type Context = { rig: Rig; main: RelayRig; attendee: Attendee; load: LoadClient; sizes: Sizes };

/** Each step produces the rows of one or more benchmarks (rows 1 and 2 share their runs). */
const STEPS: { label: string; benches: BenchName[]; run: (c: Context) => Promise<Row[]> }[] = [
  {
    label: 'prompt runs (first event, visible, finished)',
    benches: ['first-event', 'visible'],
    run: (c) => promptLatency(c.main, c.attendee, c.sizes.prompt),
  },
  {
    label: '/view throughput',
    benches: ['view'],
    run: (c) => viewThroughput(c.main, c.attendee, c.load, c.sizes.view),
  },
  {
    label: 'admissions',
    benches: ['admissions'],
    run: (c) => admissions(c.rig, c.load, c.sizes.admissions),
  },
  {
    label: 'sidecar memory',
    benches: ['memory'],
    run: (c) => memory(c.rig, c.main, c.sizes.memory),
  },
  {
    label: 'queue and history panels',
    benches: ['panels'],
    run: (c) => panels(c.main, c.attendee, c.sizes.panels),
  },
  {
    label: 'event latency, relay subscribers',
    benches: ['events'],
    run: (c) => eventFanout(c.rig, c.main, c.load, c.sizes.events),
  },
  {
    label: 'event latency, via sidecars',
    benches: ['events'],
    run: (c) => eventSidecars(c.rig, c.main, c.load, c.sizes.sidecarEvents),
  },
  {
    label: 'prompt runs through a pull worker (first event, visible)',
    benches: ['workers'],
    run: (c) => workerLatency(c.rig, c.sizes.prompt),
  },
  {
    label: 'GPU paths: serverless + agent vs no agent vs direct',
    benches: ['agent'],
    run: (c) => agentBench(c.rig, c.sizes.agent),
  },
];

export async function runBench(options: RunOptions): Promise<Report> {
  const log = options.log ?? (() => undefined);
  const progress = options.progress ?? logReporter(log);
  // `agent` kills GPU replicas and waits out a job timeout: in --quick only when asked for by name.
  const selected = new Set<BenchName>(
    options.only?.length
      ? options.only
      : BENCHES.filter((b) => options.mode === 'default' || b !== 'agent'),
  );
  const startedAt = new Date().toISOString();
  const rows: Row[] = [];
  const errors: Report['errors'] = [];
  const rigTask = progress.start(
    'starting the rig (redis-server, relay, sidecar, simulated ComfyUIs)',
  );
  const rig = await startRig().catch((error: Error) => {
    rigTask.fail(`could not start the rig: ${error.message}`);
    throw error;
  });
  let load: LoadClient | undefined;
  let rigStarted = false;
  // Ctrl-C mid-run: stop what the rig started (redis-server, servers) rather than orphan it.
  const interrupt = () => {
    log('interrupted; stopping everything the benchmark started …');
    void Promise.allSettled([load?.close(), rig.close()]).finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    const main = await rig.startRelay('main');
    const attendee = await rig.startAttendee(main.url, 'bench-a');
    load = await startLoadClient();
    rigTask.succeed('rig started');
    rigStarted = true;
    const context: Context = { rig, main, attendee, load, sizes: SIZES[options.mode] };
    const steps = STEPS.filter((step) => step.benches.some((b) => selected.has(b)));
    for (const [index, step] of steps.entries()) {
      const wanted = step.benches.filter((b) => selected.has(b));
      const task = progress.start(`[${index + 1}/${steps.length}] ${step.label}`);
      try {
        const produced = await step.run(context);
        rows.push(...produced.filter((r) => selected.has(r.bench)));
        task.succeed(`[${index + 1}/${steps.length}] ${step.label}`);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        for (const bench of wanted) errors.push({ bench, message });
        task.fail(`[${index + 1}/${steps.length}] ${step.label} failed: ${message}`);
      }
    }
  } catch (error) {
    if (!rigStarted) rigTask.fail(`could not start the rig: ${(error as Error).message}`);
    throw error;
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
    await load?.close();
    await rig.close();
  }
  const report: Report = {
    startedAt,
    finishedAt: new Date().toISOString(),
    mode: options.mode,
    machine: { cpus: cpus().length, loadavg: loadavg(), node: process.versions.node },
    rows,
    errors,
  };
  await mkdir(options.reportsDir, { recursive: true });
  await writeFile(join(options.reportsDir, 'bench.json'), `${toJson(report)}\n`);
  await writeFile(join(options.reportsDir, 'bench.md'), `${markdownTable(report)}\n`);
  return report;
}
