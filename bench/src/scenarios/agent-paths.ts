/**
 * @fileoverview What the GPU agent changes for the attendee, per path (direct / serverless without
 * the agent / serverless with it), against stock ComfyUI asked directly, in one run:
 * - Queue Prompt → first `executing` at the tab (when node highlighting can start);
 * - GPU node error → tab (the GPU's own error timestamp → execution_error at the tab);
 * - replica death → tab (SIGKILL of the replica running the job → the tab hears of the job again:
 *   a resubmit's execution_start, or the job's end); stock: its socket closing;
 * - cancel → execution_interrupted (POST /interrupt as the frontend's cancel button sends it).
 * Runs alternate between sides so machine noise falls on all alike. Measured, never judged.
 */
import { join } from 'node:path';
import { ComfyClient } from '../../../kit/comfy/client';
import { ComfyHttp } from '../../../kit/comfy/http';
import type { RunningSimulator } from '../../../simulator/src/app';
import { makeRow, type Row } from '../report';
import { simulatorAt, type Rig } from '../rig';
import { distribution, monoMs } from '../stats';
import { forPrompt, Tab, type Frame } from '../tab';
import { promptBody, seeds, type WorkflowSize } from '../workflow';
import { PATH_LABELS, startAgentStacks, type GpuPath } from './agent-stacks';

export type AgentPathOptions = {
  runs: number;
  /** Kills per serverless path (each takes one of its 3 replicas away; direct has one to lose). */
  deaths: number;
  size: WorkflowSize;
  longSteps: number;
  timeoutMs: number;
  stepMs: number;
  /** JOB_TIMEOUT_S of the relays: when a job on a dead replica fails without the agent. */
  jobTimeoutS: number;
};

type Side = { label: string; url: string; tab: Tab; gpu: RunningSimulator; path?: GpuPath };
type Samples = Record<'executing' | 'error' | 'death' | 'cancel', number[]>;

const END = new Set([
  'execution_start',
  'execution_success',
  'execution_error',
  'execution_interrupted',
]);

async function post(url: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  const http = new ComfyHttp({ baseUrl: url, headers: { origin: url }, timeoutMs: 60_000 });
  const reply = await http.request('POST', path, { json: body });
  if (reply.status !== 200)
    throw new Error(`POST ${path} answered ${reply.status}: ${reply.text.slice(0, 200)}`);
  return (reply.body ?? {}) as Record<string, unknown>;
}

async function queue(
  side: Side,
  prompt: Record<string, unknown>,
): Promise<{ id: string; t0: number }> {
  const t0 = monoMs();
  const answer = await post(side.url, '/api/prompt', {
    ...promptBody(side.tab.clientId, 0, { width: 8, height: 8, steps: 1 }),
    prompt,
  });
  return { id: String(answer.prompt_id), t0 };
}

const ended = (side: Side, id: string, o: AgentPathOptions) =>
  side.tab
    .next(
      forPrompt('executing', id, (f) => f.data.node === null),
      o.timeoutMs,
    )
    .catch(() => undefined);

/** A blur the GPU is told to fail (failNodeTypes: ImageBlur). */
const failing = (seed: number) => ({
  '1': {
    class_type: 'EmptyImage',
    inputs: { width: 64, height: 64, batch_size: 1, color: seed % 0xffffff },
  },
  '2': { class_type: 'ImageBlur', inputs: { image: ['1', 0], blur_radius: 3, sigma: 1 } },
  '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'bench-error' } },
});

async function firstExecuting(side: Side, seed: number, o: AgentPathOptions): Promise<number> {
  const { id, t0 } = await queue(
    side,
    promptBody('', seed, o.size).prompt as Record<string, unknown>,
  );
  const first = await side.tab.next(
    forPrompt('executing', id, (f) => f.data.node !== null),
    o.timeoutMs,
  );
  await ended(side, id, o);
  side.tab.clear();
  return first.at - t0;
}

async function gpuError(side: Side, seed: number, o: AgentPathOptions): Promise<number> {
  const { id } = await queue(side, failing(seed));
  const error = await side.tab.next(forPrompt('execution_error', id), o.timeoutMs);
  await ended(side, id, o);
  side.tab.clear();
  return error.wall - Number(error.data.timestamp);
}

/**
 * Queue a long job and wait until a replica runs it (its own /queue says so): without the agent
 * the tab gets no step progress to wait for, so every side waits the same way.
 */
async function longRunning(
  side: Side,
  seed: number,
  o: AgentPathOptions,
): Promise<{ id: string; replica: RunningSimulator['processes'][number] }> {
  const { id } = await queue(
    side,
    promptBody('', seed, { ...o.size, steps: o.longSteps }).prompt as Record<string, unknown>,
  );
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    const replica = await holder(side.gpu, id);
    if (replica) return { id, replica };
    if (Date.now() > deadline) throw new Error(`no replica ran ${id} within ${o.timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function cancel(side: Side, seed: number, o: AgentPathOptions): Promise<number> {
  const { id } = await longRunning(side, seed, o);
  const t0 = monoMs();
  await post(side.url, '/api/interrupt', { prompt_id: id });
  const interrupted = await side.tab.next(forPrompt('execution_interrupted', id), o.timeoutMs);
  await ended(side, id, o);
  side.tab.clear();
  return interrupted.at - t0;
}

/** The replica process running a prompt (its own /queue says so), if any. */
async function holder(gpu: RunningSimulator, id: string) {
  for (const replica of gpu.processes.filter((p) => !p.exited)) {
    const queue = await new ComfyClient({ baseUrl: replica.url, timeoutMs: 60_000 }).queue();
    if (queue.queue_running.some((item) => item[1] === id)) return replica;
  }
  return undefined;
}

/**
 * A frame that says the job runs again or is over — never one of the dead run's frames still on
 * their way: its end, a new start (execution_start, execution_cached), or a step counted again
 * from the beginning (a step below the last one seen before the kill).
 */
const newsOf = (id: string, lastStep: number) => (f: Frame) =>
  f.data.prompt_id === id &&
  (END.has(f.type) ||
    f.type === 'execution_cached' ||
    (f.type === 'progress' && Number(f.data.value) < lastStep));

async function death(side: Side, seed: number, o: AgentPathOptions): Promise<number> {
  if (!side.path) {
    // Stock: a tab on one ComfyUI process, killed; the tab learns when its socket closes.
    const victim = side.gpu.processes.find((p) => !p.exited)!;
    const tab = await Tab.open(victim.url, `bench-death-${seed}`);
    const closed = new Promise<number>((resolve) => tab.ws.once('close', () => resolve(monoMs())));
    const t0 = monoMs();
    victim.kill('SIGKILL');
    return (await closed) - t0;
  }
  const { id, replica: victim } = await longRunning(side, seed, o);
  // Where the sampler was (paths that forward steps): a later step below it is the rerun's.
  const step = await side.tab
    .next(
      forPrompt('progress', id, (f) => Number(f.data.value) >= 3),
      5_000,
    )
    .catch(() => undefined);
  side.tab.clear();
  const t0 = monoMs();
  victim.kill('SIGKILL');
  const heard: Frame = await side.tab.next(
    newsOf(id, step ? Number(step.data.value) : 0),
    o.timeoutMs + side.path.jobTimeoutS * 1000,
  );
  await ended(side, id, { ...o, timeoutMs: o.timeoutMs + side.path.jobTimeoutS * 1000 });
  side.tab.clear();
  return heard.at - t0;
}

export async function agentPaths(
  paths: GpuPath[],
  stockGpus: { main: RunningSimulator; dying: RunningSimulator },
  o: AgentPathOptions,
): Promise<Row[]> {
  const stockTab = await Tab.open(stockGpus.main.url, `bench-agent-stock-${process.pid}`);
  const sides: Side[] = [
    { label: 'stock', url: stockGpus.main.url, tab: stockTab, gpu: stockGpus.main },
  ];
  for (const path of paths)
    sides.push({
      label: path.name,
      url: path.attendee.url,
      tab: await Tab.open(path.attendee.url, `bench-agent-${path.name}-${process.pid}`),
      gpu: path.gpu,
      path,
    });
  const samples = new Map<string, Samples>(
    sides.map((s) => [s.label, { executing: [], error: [], death: [], cancel: [] }]),
  );
  const failures = new Map<string, number>();
  let firstError = '';
  const seed = seeds();
  const measure = async (
    kind: keyof Samples,
    side: Side,
    fn: (s: Side, seed: number, o: AgentPathOptions) => Promise<number>,
  ) => {
    try {
      samples.get(side.label)![kind].push(await fn(side, seed(), o));
    } catch (error) {
      failures.set(`${side.label}:${kind}`, (failures.get(`${side.label}:${kind}`) ?? 0) + 1);
      firstError ||= `${side.label} ${kind}: ${(error as Error).message}`;
    }
  };
  try {
    for (let i = 0; i < o.runs; i++)
      for (const side of sides) await measure('executing', side, firstExecuting);
    for (let i = 0; i < o.runs; i++)
      for (const side of sides) await measure('error', side, gpuError);
    for (let i = 0; i < o.runs; i++)
      for (const side of sides) await measure('cancel', side, cancel);
    // Deaths last: each one takes a replica away for good.
    for (let i = 0; i < o.deaths; i++)
      for (const side of sides) {
        if (side.path?.name === 'direct' && i > 0) continue; // its only replica is gone
        await measure('death', side.path ? side : { ...side, gpu: stockGpus.dying }, death);
      }
  } finally {
    for (const side of sides) side.tab.close();
  }
  const stock = samples.get('stock')!;
  const rows: Row[] = [];
  const what = {
    executing: [
      'Queue Prompt → first executing',
      'POST /api/prompt sent → the first `executing` (a node id) for that prompt on the tab: when node highlighting can start',
    ],
    error: [
      'GPU node error → tab',
      "the GPU's own execution_error timestamp → execution_error received on the tab (a node set to fail on the GPU)",
    ],
    cancel: [
      'cancel → execution_interrupted',
      'POST /api/interrupt {prompt_id} (the cancel button) while the sampler steps → execution_interrupted on the tab',
    ],
    death: [
      'replica death → tab',
      "SIGKILL of the replica process running the job → the tab hears of the job again: the resubmitted run's start or first step, or the job's end (the dead run's frames still on their way are not counted); stock: the tab's socket closes",
    ],
  } as const;
  for (const kind of ['executing', 'error', 'death', 'cancel'] as const) {
    for (const path of paths) {
      const platform = samples.get(path.name)![kind];
      if (platform.length === 0 || stock[kind].length === 0) continue;
      const timeout =
        kind === 'death' && path.name !== 'agent'
          ? `; this relay's JOB_TIMEOUT_S is ${path.jobTimeoutS} (600 by default)`
          : '';
      rows.push(
        makeRow({
          id: `agent-${kind}-${path.name}`,
          bench: 'agent',
          measure: `${what[kind][0]} (${PATH_LABELS[path.name]})`,
          unit: 'ms',
          better: 'lower',
          stock: distribution(stock[kind]),
          platform: distribution(platform),
          how: `${what[kind][1]}; ${PATH_LABELS[path.name]} vs stock ComfyUI asked directly${timeout}.`,
          failures:
            (failures.get(`${path.name}:${kind}`) ?? 0) + (failures.get(`stock:${kind}`) ?? 0) ||
            undefined,
        }),
      );
    }
  }
  if (rows.length === 0) throw new Error(`no complete runs (${firstError || 'unknown'})`);
  return rows;
}

/** Starts the three paths and a stock ComfyUI process per death, measures, stops them. */
export async function agentBench(rig: Rig, o: AgentPathOptions): Promise<Row[]> {
  const stacks = await startAgentStacks(rig, { stepMs: o.stepMs, jobTimeoutS: o.jobTimeoutS });
  const dying = await simulatorAt(join(rig.root, 'agent-bench-stock-dying'), {
    replicas: o.deaths,
    stepMs: o.stepMs,
    agent: { without: Array.from({ length: o.deaths }, (_, i) => i) },
  });
  try {
    const direct = stacks.paths.find((p) => p.name === 'direct')!;
    return await agentPaths(stacks.paths, { main: direct.gpu, dying }, o);
  } finally {
    await dying.close();
    await stacks.close();
  }
}
