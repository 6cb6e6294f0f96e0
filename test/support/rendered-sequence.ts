/**
 * @fileoverview For tests that drive a Backend directly: what the browser tab would see of the run.
 * A backend reports facts (the GPU's messages through `emit`, the relay's evidence through
 * `evidence`) and ends with a RunResult; the sidecar's SequenceBook turns them, with the finished
 * record, into ComfyUI's messages. This collects the facts and renders them the same way.
 */
import type {
  ComfyMessage,
  HistoryMessage,
  JobFact,
  JobRecord,
  SequenceInput,
} from '../../protocol/src/index';
import { historyMessages, SequenceBook } from '../../protocol/src/index';
import type { RunResult } from '../../relay/src/backends/backend';

const STATES = { success: 'done', error: 'failed', interrupted: 'cancelled' } as const;

type Fact = { kind: 'gpu'; message: ComfyMessage } | { kind: 'evidence'; fact: JobFact };

export class RenderedSequence {
  private readonly facts: Fact[] = [];

  gpu(message: ComfyMessage): void {
    this.facts.push({ kind: 'gpu', message: structuredClone(message) });
  }

  evidence(fact: JobFact): void {
    this.facts.push({ kind: 'evidence', fact: structuredClone(fact) });
  }

  /**
   * The tab's messages for the run of job `jobId` so far, ended by `result` when given (`status`
   * frames left out). `jobId` is the prompt_id of what the sequence writes itself.
   */
  messages(
    result?: RunResult,
    jobId = (this.facts.find((f) => f.kind === 'gpu')?.message.data.prompt_id as
      string | undefined) ?? 'job',
  ): ComfyMessage[] {
    const clientId = 'tab';
    const record: JobRecord = {
      id: jobId,
      userId: 'user',
      clientId,
      state: 'running',
      lane: 'normal',
      number: 0,
      createdAt: 0,
      outputsToExecute: [],
      executedNodes: [],
      cachedNodes: [],
      outputs: {},
      statusMessages: [],
    };
    const book = new SequenceBook();
    const all: SequenceInput[] = [
      { kind: 'submitted', job: record },
      ...this.facts.map((f): SequenceInput =>
        f.kind === 'gpu'
          ? { kind: 'gpu', jobId, clientId, message: f.message }
          : { kind: 'evidence', jobId, clientId, fact: f.fact },
      ),
    ];
    if (result) all.push({ kind: 'record', job: finished(record, result) });
    return all
      .flatMap((input) => book.apply(input))
      .flatMap((e) => (e.kind === 'message' ? [e.message] : []));
  }

  /** The history `status.messages` the tab reads for the finished run (the GPU's, completed from the record). */
  history(result: RunResult, jobId = 'job'): HistoryMessage[] {
    return historyMessages(
      finished(
        {
          id: jobId,
          state: 'running',
          createdAt: 0,
          executedNodes: [],
          cachedNodes: [],
          statusMessages: [],
        },
        result,
      ),
    );
  }
}

/** The record a relay keeps once the run ended with `result`. */
function finished<
  T extends Pick<
    JobRecord,
    'id' | 'state' | 'createdAt' | 'executedNodes' | 'cachedNodes' | 'statusMessages'
  >,
>(record: T, result: RunResult): T & Pick<JobRecord, 'outputs' | 'error' | 'finishedAt'> {
  const { status, outputs, cachedNodes, executedNodes, error, statusMessages } = result;
  return {
    ...record,
    state: STATES[status],
    outputs,
    cachedNodes,
    executedNodes,
    error,
    statusMessages,
    finishedAt: Date.now(),
  };
}
