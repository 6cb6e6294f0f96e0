/**
 * @fileoverview Runs one claimed job through its backend: builds the narrow RunContext (phases,
 * submit markers, native messages, previews, output storage), persists every step before it is
 * announced, and finishes the job in Redis before its terminal ComfyUI message goes out — so a
 * client that sees `execution_success` already finds the job done, with outputs, in the API.
 */
import type { Logger } from 'pino';
import { encodePreviewWithMetadata, type JobError, type NodeUiOutput } from '../../../protocol/src/index';
import type { Backend, RunContext, RunResult, RunnableJob } from '../backends/backend';
import type { Bus } from '../events/bus';
import type { Publisher } from '../events/publisher';
import type { InputStore } from '../inputs/input-store';
import type { RelayObserve } from '../metrics/relay-metrics';
import { LeaseLostError, RedisUnavailableError, RelayError } from '../errors';
import type { OutputStore } from '../outputs/output-store';
import type { JobPatch, StoredJob } from '../store/job-record';
import type { RedisJobStore } from '../store/redis-job-store';

export type RunDeps = {
  store: RedisJobStore;
  publisher: Publisher;
  bus: Bus;
  outputs: OutputStore;
  inputs: InputStore;
  owner: string;
  logger: Logger;
  /** Metrics hooks; optional so tests can run jobs without a registry. */
  observe?: RelayObserve;
};

/** Why a local run was stopped: the user cancelled, the relay shuts down, or another relay owns it now. */
export type StopReason = 'cancel' | 'shutdown' | 'lost' | 'timeout';

const TERMINAL = new Set(['execution_success', 'execution_error', 'execution_interrupted']);

/** Retry a Redis write while Redis is briefly away (the run goes on); give up after `budgetMs`. */
async function persist<T>(work: () => Promise<T>, signal: AbortSignal, budgetMs = 30_000): Promise<T> {
  const deadline = Date.now() + budgetMs;
  for (let delay = 100; ; delay = Math.min(delay * 2, 2_000)) {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof RedisUnavailableError) || Date.now() > deadline || signal.aborted) throw error;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

export function jobErrorFrom(message: string, exceptionType = 'RelayError'): JobError {
  return { message, nodeId: '', nodeType: '', exceptionType, exceptionMessage: message, traceback: [], currentInputs: {}, currentOutputs: [] };
}

export async function runJob(deps: RunDeps, job: StoredJob, backend: Backend, abort: AbortController, resume: boolean): Promise<void> {
  const { store, publisher, owner } = deps;
  const signal = abort.signal;
  const logger = deps.logger.child({ jobId: job.id, userId: job.userId, backend: backend.name });
  const held: { type: string; data: Record<string, unknown> }[] = [];
  let terminalSeen = false;
  let startedAt = job.startedAt;
  const cached = new Set(job.cachedNodes);
  const outputs: Record<string, NodeUiOutput> = { ...job.outputs };
  let currentState: string = job.state;
  let warmingSince: number | undefined;

  const update = async (state: StoredJob['state'] | '', patch: JobPatch) => {
    await persist(() => store.update(job.id, owner, state, patch), signal);
  };

  const ctx: RunContext = {
    signal,
    logger,
    async phase(state) {
      if (state !== currentState) {
        deps.observe?.jobStateChanged(currentState, state, backend.name);
        if (state === 'warming_up') warmingSince = Date.now();
        else if (warmingSince !== undefined) {
          deps.observe?.coldStart(Date.now() - warmingSince);
          warmingSince = undefined;
        }
        currentState = state;
      }
      const patch: JobPatch = { coldStartSince: state === 'warming_up' ? Date.now() : undefined };
      if (state === 'running' && startedAt === undefined) patch.startedAt = startedAt = Date.now();
      await update(state, patch);
      await persist(() => publisher.job(job.id), signal).catch((e: Error) => logger.warn({ err: e.message }, 'job event lost'));
    },
    markSubmitAttempted: (backendRef) => update('', { submitAttemptedAt: Date.now(), backendRef }),
    markSubmitted: (backendRef) => update('', { submittedAt: Date.now(), backendRef }),
    async emit(message) {
      const data: Record<string, unknown> = { ...message.data, prompt_id: job.id };
      if (message.type === 'execution_cached' && Array.isArray(data.nodes)) {
        for (const node of data.nodes) cached.add(String(node));
        await update('', { cachedNodes: [...cached] }).catch(() => undefined);
      } else if (message.type === 'executed' && data.output && typeof data.output === 'object') {
        // Outputs are visible in GET /api/jobs/:id while the job still runs (and survive a takeover).
        outputs[String(data.node)] = data.output as NodeUiOutput;
        await update('', { outputs }).catch(() => undefined);
      } else if (message.type === 'progress') {
        const progress = { nodeId: String(data.node ?? ''), value: Number(data.value ?? 0), max: Number(data.max ?? 0) };
        void store.update(job.id, owner, '', { progress }).catch(() => undefined); // best effort, per step
      }
      if (terminalSeen || TERMINAL.has(message.type)) {
        terminalSeen = true;
        held.push({ type: message.type, data });
        return;
      }
      await persist(() => publisher.comfy(job, { type: message.type, data }), signal);
    },
    preview(nodeId, image, mime, meta) {
      const frame = encodePreviewWithMetadata(image, {
        node_id: nodeId,
        prompt_id: job.id,
        display_node_id: meta?.display_node_id ?? nodeId,
        parent_node_id: meta?.parent_node_id ?? null,
        real_node_id: meta?.real_node_id ?? nodeId,
        image_type: mime,
      });
      deps.bus.preview(job.userId, Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength));
    },
    storeOutput: (found) => deps.outputs.store(job.userId, job.id, found),
  };

  const runnable: RunnableJob = {
    id: job.id,
    userId: job.userId,
    prompt: job.prompt,
    extraData: job.extraData,
    outputsToExecute: job.outputsToExecute,
    inputs: job.inputs.map((input) => ({ ...input, file: deps.inputs.path(job.userId, input.sha256) })),
    resume: resume
      ? { submittedAt: job.submittedAt, submitAttemptedAt: job.submitAttemptedAt, backendRef: job.backendRef }
      : undefined,
  };

  let result: RunResult;
  try {
    if (!resume) await ctx.phase('submitting');
    result = await backend.run(runnable, ctx);
  } catch (error) {
    const reason = signal.reason as StopReason | undefined;
    if (error instanceof LeaseLostError || reason === 'lost' || reason === 'shutdown') {
      logger.info({ reason: reason ?? 'lost', err: (error as Error).message }, 'run stopped; the job stays claimed for whoever resumes it');
      return;
    }
    if (reason === 'cancel') result = { status: 'interrupted', outputs: {}, cachedNodes: [...cached], executedNodes: [], statusMessages: [] };
    else {
      const message =
        reason === 'timeout'
          ? `the job did not finish within JOB_TIMEOUT_S; it was interrupted on the GPU`
          : error instanceof RelayError
            ? error.message
            : `the relay could not run the job: ${(error as Error).message}`;
      logger.warn({ err: (error as Error).message, reason }, 'job failed in the relay');
      result = { status: 'error', outputs: {}, cachedNodes: [...cached], executedNodes: [], statusMessages: [], error: jobErrorFrom(message, reason === 'timeout' ? 'TimeoutError' : 'RelayError') };
    }
  }
  const finalState = await finish(deps, job, result, held, terminalSeen, startedAt, logger);
  if (finalState) {
    const now = Date.now();
    deps.observe?.jobStateChanged(currentState, finalState, backend.name);
    deps.observe?.jobFinished(finalState, (startedAt ?? now) - job.createdAt, startedAt !== undefined ? now - startedAt : 0, backend.name, result.error?.exceptionType);
  }
}

async function finish(
  deps: RunDeps,
  job: StoredJob,
  result: RunResult,
  held: { type: string; data: Record<string, unknown> }[],
  terminalSeen: boolean,
  startedAt: number | undefined,
  logger: Logger,
): Promise<'done' | 'failed' | 'cancelled' | undefined> {
  const now = Date.now();
  const state = result.status === 'success' ? 'done' : result.status === 'interrupted' ? 'cancelled' : 'failed';
  if (!terminalSeen) {
    // The backend ended without ComfyUI's own terminal message (relay-side failure, early cancel): make one.
    const base = { prompt_id: job.id, timestamp: now };
    const failure = result.error;
    if (state === 'done') held.push({ type: 'execution_success', data: base });
    else if (state === 'cancelled')
      held.push({ type: 'execution_interrupted', data: { ...base, node_id: '', node_type: '', executed: result.executedNodes } });
    else
      held.push({
        type: 'execution_error',
        data: {
          ...base,
          node_id: failure?.nodeId ?? '',
          node_type: failure?.nodeType ?? '',
          executed: result.executedNodes,
          exception_message: failure?.exceptionMessage ?? failure?.message ?? 'unknown error',
          exception_type: failure?.exceptionType ?? 'RelayError',
          traceback: failure?.traceback ?? [],
          current_inputs: failure?.currentInputs ?? {},
          current_outputs: failure?.currentOutputs ?? [],
        },
      });
    held.push({ type: 'executing', data: { node: null, prompt_id: job.id } });
  }
  const statusMessages = result.statusMessages.length ? result.statusMessages : held.filter((m) => TERMINAL.has(m.type)).map((m) => [m.type, m.data] as [string, Record<string, unknown>]);
  const patch: JobPatch = {
    outputs: result.outputs,
    cachedNodes: result.cachedNodes,
    executedNodes: result.executedNodes,
    statusMessages,
    progress: undefined,
    coldStartSince: undefined,
  };
  if (result.error) patch.error = result.error;
  const runMs = state === 'done' && startedAt !== undefined ? now - startedAt : 0;
  // Finishing must not be lost to a short Redis outage; a lease lost meanwhile means another relay finishes it.
  try {
    await persist(() => deps.store.finish(job.id, deps.owner, state, patch, runMs, now), new AbortController().signal, 60_000);
  } catch (error) {
    logger.warn({ err: (error as Error).message }, 'could not record the end of the job');
    return undefined;
  }
  logger.info({ state, runMs, outputs: Object.keys(result.outputs).length }, 'job finished');
  await deps.publisher.job(job.id).catch(() => undefined);
  for (const message of held) await deps.publisher.comfy(job, message).catch(() => undefined);
  return state;
}
