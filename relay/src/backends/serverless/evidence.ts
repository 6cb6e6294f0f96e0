/**
 * @fileoverview Asking a load-balanced endpoint about one job: a history poll, a probe for any
 * sign of it (history, queue, files), waiting for a file history promised, and cancel requests
 * repeated because each one reaches a single replica.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { Logger } from 'pino';
import type { EndpointClient } from './endpoint';
import { queueHas, readHistory, type HistoryEvidence } from './history';
import type { Metrics } from './metrics';

export type Polls = { count: number; misses: number; errors: number; lastError: string };

const POLL_TIMEOUT_MS = 10_000;
/** 12 rounds: a random balancer over 3 replicas misses the running one with odds (2/3)^12 < 1%. */
const CANCEL_ROUNDS = 12;

export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** One `GET /history/{id}`: the evidence, or null for `{}` ("not on this replica") and for failures. */
export async function evidenceFromHistory(
  endpoint: EndpointClient,
  promptId: string,
  polls: Polls,
  metrics: Metrics,
  signal: AbortSignal,
): Promise<HistoryEvidence | null> {
  polls.count++;
  metrics.historyPolls++;
  try {
    const reply = await endpoint.request('GET', `/history/${encodeURIComponent(promptId)}`, {
      signal,
      timeoutMs: POLL_TIMEOUT_MS,
    });
    if (reply.status !== 200) {
      polls.errors++;
      metrics.historyErrors++;
      polls.lastError = `HTTP ${reply.status}`;
      return null;
    }
    const evidence = readHistory(reply.body, promptId);
    if (evidence) metrics.historyHits++;
    else polls.misses++;
    return evidence;
  } catch (error) {
    if (signal.aborted) return null;
    polls.errors++;
    metrics.historyErrors++;
    polls.lastError = error instanceof Error ? error.message : String(error);
    return null;
  }
}

export type ProbeOptions = {
  endpoint: EndpointClient;
  promptId: string;
  ms: number;
  pollMs: number;
  signal: AbortSignal;
  /** Whether the watcher has already seen a file of the job. */
  filesSeen: () => boolean;
  dir: string;
  onHistory: (evidence: HistoryEvidence) => void;
};

/** Any output file in the job's folder (the agent's dot-named folder, our own cancel marker included, is not one). */
async function hasFiles(dir: string): Promise<boolean> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.some(
    (entry) =>
      entry.isFile() &&
      !relative(dir, join(entry.parentPath, entry.name))
        .split(sep)
        .some((part) => part.startsWith('.')),
  );
}

/** Look for the job on the GPU for up to `ms`: in a history, in a queue, or by its files. */
export async function probeForJob(options: ProbeOptions): Promise<boolean> {
  const { endpoint, promptId, signal } = options;
  const deadline = Date.now() + options.ms;
  const polls: Polls = { count: 0, misses: 0, errors: 0, lastError: '' };
  do {
    if (options.filesSeen() || (await hasFiles(options.dir))) return true;
    const [history, queue] = await Promise.all([
      endpoint
        .request('GET', `/history/${encodeURIComponent(promptId)}`, {
          signal,
          timeoutMs: POLL_TIMEOUT_MS,
        })
        .catch(() => undefined),
      endpoint
        .request('GET', '/queue', { signal, timeoutMs: POLL_TIMEOUT_MS })
        .catch(() => undefined),
    ]);
    polls.count++;
    const evidence = history?.status === 200 ? readHistory(history.body, promptId) : null;
    if (evidence) {
      options.onHistory(evidence);
      return true;
    }
    if (queue?.status === 200 && queueHas(queue.body, promptId)) return true;
    await pause(options.pollMs, signal);
  } while (Date.now() < deadline && !signal.aborted);
  return options.filesSeen() || hasFiles(options.dir);
}

/** Wait until a file exists (history said it was written; NFS may not show it yet). */
export async function waitForFile(path: string, ms: number, signal: AbortSignal) {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = await stat(path).catch(() => undefined);
    if (found?.isFile()) return found;
    if (Date.now() >= deadline || signal.aborted) return undefined;
    await pause(100, signal);
  }
}

/**
 * Ask the GPU to drop the job: `POST /interrupt {prompt_id}` (stops it only on the replica running
 * it, a no-op elsewhere) and `POST /queue {delete}` (removes it where it is pending). Each request
 * reaches one replica chosen by the load balancer. A round-robin balancer defeats plain repetition:
 * if every round (plus our history polls) is a multiple of k requests, the interrupt lands on the
 * same wrong replica each time. So each round sends the interrupt INTERRUPT_BURST times back to
 * back (consecutive requests reach consecutive replicas) and rounds are spaced with jitter; with a
 * random balancer the odds of missing are (1-1/k)^(burst·rounds). The first round is awaited; the
 * rest run on in the background until `rounds` are done, `confirmed()` says the GPU stopped it, or
 * `signal` ends.
 */
/** Back-to-back interrupts per round (covers up to this many replicas behind a round-robin balancer per round). */
const INTERRUPT_BURST = 4;

export async function sendCancel(
  endpoint: EndpointClient,
  promptId: string,
  logger: Logger,
  options: { signal: AbortSignal; rounds?: number; confirmed?: () => boolean },
): Promise<void> {
  const { signal, rounds = CANCEL_ROUNDS, confirmed = () => false } = options;
  const send = async (path: string, json: unknown) => {
    await endpoint.request('POST', path, { json, timeoutMs: 5000 }).catch((reason: unknown) => {
      logger.debug({ reason: String(reason) }, 'cancel request failed');
    });
  };
  const round = async () => {
    for (let i = 0; i < INTERRUPT_BURST && !signal.aborted; i++)
      await send('/interrupt', { prompt_id: promptId });
    await send('/queue', { delete: [promptId] });
  };
  await round();
  void (async () => {
    for (let i = 1; i < rounds && !signal.aborted && !confirmed(); i++) {
      await pause(200 + Math.floor(Math.random() * 600), signal); // jitter: never in step with the history polls
      if (!signal.aborted && !confirmed()) await round();
    }
  })();
}

/** What a job that timed out was seen doing, in one line. */
export function timeoutMessage(
  polls: Polls,
  delivered: string[],
  missing: string[],
  seconds: number,
): string {
  const failed = polls.errors ? `, ${polls.errors} failed, last: ${polls.lastError}` : '';
  const history = `never seen in history on any replica (${polls.count} polls, ${polls.misses} answered "not here"${failed})`;
  const outputs =
    delivered.length === 0
      ? 'no outputs'
      : `outputs from node ${delivered.join(', ')} but none from node ${missing.join(', ') || '(none expected)'}`;
  return `accepted by the endpoint; ${history}; ${outputs} after ${seconds} s`;
}
