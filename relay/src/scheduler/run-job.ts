/**
 * @fileoverview Runs one claimed job through its backend: builds the narrow RunContext (phases,
 * submit markers, the GPU's own messages, evidence, previews, output storage), persists every step
 * before it is announced, and finishes the job record in Redis. It makes up no ComfyUI message:
 * the sidecar's sequence (protocol/comfy/sequence) writes what the GPU did not say from the record
 * and the evidence, and holds the GPU's ending until the record has ended — so a client that sees
 * `execution_success` already finds the job done, with outputs, in the API.
 */
import pRetry from 'p-retry';
import type { Logger } from 'pino';
import {
  encodePreviewWithMetadata,
  jobLevelError,
  type JobError,
  type NodeUiOutput,
} from '../../../protocol/src/index';
import type { Backend, RunContext, RunResult, RunnableJob } from '../backends/backend';
import type { Bus } from '../events/bus';
import type { Publisher } from '../events/publisher';
import type { InputStore } from '../inputs/input-store';
import type { RelayObserve } from '../metrics/relay-metrics';
import { LeaseLostError, RedisUnavailableError, RelayError } from '../errors';
import type { OutputStore } from '../outputs/output-store';
import type { JobPatch, StoredJob } from '../store/job-record';
import type { JobStore } from '../jobs/job-store';

export type RunDeps = {
  store: JobStore;
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

/** Retry a Redis write while Redis is briefly away (the run goes on); give up after `budgetMs`. */
function persist<T>(work: () => Promise<T>, signal: AbortSignal, budgetMs = 30_000): Promise<T> {
  // Not p-retry's `signal`: an aborted run still gets the write's own error, never the stop reason.
  return pRetry(work, {
    retries: Number.POSITIVE_INFINITY,
    minTimeout: 100,
    maxTimeout: 2_000,
    maxRetryTime: budgetMs,
    shouldRetry: ({ error }) => error instanceof RedisUnavailableError && !signal.aborted,
  });
}

/** A failure the relay established (no node): see protocol's jobLevelError. */
export const jobErrorFrom = (message: string, exceptionType = 'RelayError'): JobError =>
  jobLevelError(exceptionType, message);

export async function runJob(
  deps: RunDeps,
  job: StoredJob,
  backend: Backend,
  abort: AbortController,
  resume: boolean,
): Promise<void> {
  const { store, publisher, owner } = deps;
  const signal = abort.signal;
  const logger = deps.logger.child({ jobId: job.id, userId: job.userId, backend: backend.name });
  let startedAt = job.startedAt;
  const cached = new Set(job.cachedNodes);
  const outputs: Record<string, NodeUiOutput> = { ...job.outputs };
  let currentState: string = job.state;
  let warmingSince: number | undefined;

  const update = async (state: StoredJob['state'] | '', patch: JobPatch) => {
    await persist(() => store.update(job.id, owner, state, patch), signal);
  };
  /**
   * Updates the record and reads it back in one round trip (the read is sent right behind the
   * update on the same connection); undefined when the update needed a retry (read it again).
   */
  const updateAndRead = async (state: StoredJob['state'], patch: JobPatch) => {
    let attempts = 0;
    const updated = persist(() => {
      attempts++;
      return store.update(job.id, owner, state, patch);
    }, signal);
    const read = store.get(job.id).catch(() => undefined);
    await updated;
    const fresh = await read;
    return attempts === 1 ? fresh : undefined;
  };
  /**
   * The run's events go out one after another in the order they were made, through this chain: a
   * step that publishes a snapshot does not wait for it (its next Redis write goes out meanwhile),
   * and everything published later still lands behind it in the user's stream.
   */
  let announced: Promise<void> = Promise.resolve();
  const announce = (work: () => Promise<void>): Promise<void> => {
    const next = announced.then(work);
    announced = next.catch(() => undefined);
    return next;
  };
  /** A snapshot of the record, published without waiting (see `announce`). */
  const publishRecord = (record: StoredJob | string) =>
    void announce(() =>
      persist(() => publisher.job(record), signal).catch((e: Error) =>
        logger.warn({ err: e.message }, 'job event lost'),
      ),
    );
  const classOf = (nodeId: string) => {
    const node = job.prompt[nodeId] as { class_type?: unknown } | undefined;
    return typeof node?.class_type === 'string' ? node.class_type : undefined;
  };
  /** The node running now, as the record shows it (an interrupted job ends at it). */
  const running = (nodeId: string, value = 0, max = 1) =>
    void store
      .update(job.id, owner, '', { progress: { nodeId, nodeType: classOf(nodeId), value, max } })
      .catch(() => undefined); // best effort

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
      publishRecord((await updateAndRead(state, patch)) ?? job.id);
    },
    markSubmitAttempted: (backendRef) => update('', { submitAttemptedAt: Date.now(), backendRef }),
    markSubmitted: (backendRef) => update('', { submittedAt: Date.now(), backendRef }),
    async emit(message) {
      const data: Record<string, unknown> = { ...message.data, prompt_id: job.id };
      // Best-effort record writes are sent, not waited for: the event appended next goes out behind
      // them on the same connection, so a reader who sees the event finds the record written.
      if (message.type === 'execution_cached' && Array.isArray(data.nodes)) {
        for (const node of data.nodes) cached.add(String(node));
        void update('', { cachedNodes: [...cached] }).catch(() => undefined);
      } else if (message.type === 'executed' && data.output && typeof data.output === 'object') {
        // Outputs are visible in GET /api/jobs/:id while the job still runs (and survive a takeover).
        outputs[String(data.node)] = data.output as NodeUiOutput;
        void update('', { outputs }).catch(() => undefined);
      } else if (message.type === 'executing' && typeof data.node === 'string') {
        running(data.node);
      } else if (message.type === 'progress') {
        running(String(data.node ?? ''), Number(data.value ?? 0), Number(data.max ?? 0));
      }
      await announce(() =>
        persist(() => publisher.comfy(job, { type: message.type, data }), signal),
      );
    },
    async evidence(fact) {
      if (fact.kind === 'output') {
        outputs[fact.nodeId] = fact.output;
        await update('', { outputs }).catch(() => undefined);
      } else if (fact.kind === 'node_running') {
        running(fact.nodeId);
      }
      await announce(() => persist(() => publisher.fact(job, fact), signal));
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
    // Storing is idempotent (the chosen name is recorded in Redis before the copy), so it is retried through a short outage.
    storeOutput: (found) => persist(() => deps.outputs.store(job.userId, job.id, found), signal),
  };

  const runnable: RunnableJob = {
    id: job.id,
    userId: job.userId,
    prompt: job.prompt,
    extraData: job.extraData,
    outputsToExecute: job.outputsToExecute,
    inputs: job.inputs.map((input) => ({
      ...input,
      file: deps.inputs.path(job.userId, input.sha256),
    })),
    resume: resume
      ? {
          submittedAt: job.submittedAt,
          submitAttemptedAt: job.submitAttemptedAt,
          backendRef: job.backendRef,
        }
      : undefined,
  };

  let result: RunResult;
  try {
    // The claim put the job in `submitting`: its record as claimed is that phase's snapshot.
    if (!resume) publishRecord(job);
    result = await backend.run(runnable, ctx);
  } catch (error) {
    const reason = signal.reason as StopReason | undefined;
    if (error instanceof LeaseLostError || reason === 'lost' || reason === 'shutdown') {
      logger.info(
        { reason: reason ?? 'lost', err: (error as Error).message },
        'run stopped; the job stays claimed for whoever resumes it',
      );
      return;
    }
    if (error instanceof RedisUnavailableError && !reason) {
      // Redis stayed away longer than persist() waits. Failing the job would lose it for nothing: its lease
      // expires while Redis is away, and once Redis returns a relay takes it over and resumes it (never resubmitting blindly).
      logger.warn(
        { err: error.message },
        'run stopped: Redis is unreachable; the job is resumed when it returns',
      );
      return;
    }
    if (reason === 'cancel')
      result = {
        status: 'interrupted',
        outputs: {},
        cachedNodes: [...cached],
        executedNodes: [],
        statusMessages: [],
      };
    else {
      const message =
        reason === 'timeout'
          ? `the job did not finish within JOB_TIMEOUT_S; it was interrupted on the GPU`
          : error instanceof RelayError
            ? error.message
            : `the relay could not run the job: ${(error as Error).message}`;
      logger.warn({ err: (error as Error).message, reason }, 'job failed in the relay');
      result = {
        status: 'error',
        outputs: {},
        cachedNodes: [...cached],
        executedNodes: [],
        statusMessages: [],
        error: jobErrorFrom(message, reason === 'timeout' ? 'TimeoutError' : 'RelayError'),
      };
    }
  }
  await announced; // the ended record is the run's last event
  const finalState = await finish(deps, job, result, startedAt, logger);
  if (finalState) {
    const now = Date.now();
    deps.observe?.jobStateChanged(currentState, finalState, backend.name);
    deps.observe?.jobFinished(
      finalState,
      (startedAt ?? now) - job.createdAt,
      startedAt !== undefined ? now - startedAt : 0,
      backend.name,
      result.error?.exceptionType,
    );
  }
}

async function finish(
  deps: RunDeps,
  job: StoredJob,
  result: RunResult,
  startedAt: number | undefined,
  logger: Logger,
): Promise<'done' | 'failed' | 'cancelled' | undefined> {
  const now = Date.now();
  const state =
    result.status === 'success' ? 'done' : result.status === 'interrupted' ? 'cancelled' : 'failed';
  const patch: JobPatch = {
    outputs: result.outputs,
    cachedNodes: result.cachedNodes,
    executedNodes: result.executedNodes,
    statusMessages: result.statusMessages, // what the GPU said; the rest is derived from the record
    progress: undefined,
    coldStartSince: undefined,
  };
  if (result.error) patch.error = result.error;
  const runMs = state === 'done' && startedAt !== undefined ? now - startedAt : 0;
  // Finishing must not be lost to a short Redis outage; a lease lost meanwhile means another relay finishes it.
  try {
    await persist(
      () => deps.store.finish(job.id, deps.owner, state, patch, runMs, now),
      new AbortController().signal,
      60_000,
    );
  } catch (error) {
    logger.warn({ err: (error as Error).message }, 'could not record the end of the job');
    return undefined;
  }
  logger.info({ state, runMs, outputs: Object.keys(result.outputs).length }, 'job finished');
  // The ended record is what lets the sidecar end the job in the tab: it must not be lost to a short outage either.
  await persist(() => deps.publisher.job(job.id), new AbortController().signal).catch(
    (error: Error) =>
      logger.warn(
        { err: error.message },
        'the job-ended event was not published; sidecars see the ended record on their next reconnect',
      ),
  );
  return state;
}
