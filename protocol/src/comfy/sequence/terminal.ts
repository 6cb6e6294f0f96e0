/**
 * @fileoverview How a job ends in ComfyUI's words, built in one place: the terminal message types,
 * the `execution_error` / `execution_interrupted` / `execution_success` payloads of a finished job
 * record, the JobError a failure is recorded as, and the history `status.messages` of a job.
 * Everything that synthesises an ending (the relay for failures it established, the sidecar for a
 * record without the GPU's own words) goes through here.
 */
import type { JobError, JobView } from '../../relay/job';
import type { ComfyMessage } from './facts';

/** A `[event, data]` pair of history `status.messages`. */
export type HistoryMessage = [string, Record<string, unknown>];

/** The three messages that end a prompt (then `status`, then `executing {node: null}`). */
export const TERMINAL_TYPES = [
  'execution_success',
  'execution_error',
  'execution_interrupted',
] as const;
export type TerminalType = (typeof TERMINAL_TYPES)[number];
export const isTerminalType = (type: string): type is TerminalType =>
  (TERMINAL_TYPES as readonly string[]).includes(type);

/** What a finished job's record must tell to write its ending. */
export type EndingFacts = Pick<
  JobView,
  | 'id'
  | 'state'
  | 'createdAt'
  | 'startedAt'
  | 'finishedAt'
  | 'executedNodes'
  | 'cachedNodes'
  | 'error'
  | 'progress'
>;

/** The terminal type ComfyUI sends for a record in this state; undefined while it runs. */
export function terminalTypeOf(state: JobView['state']): TerminalType | undefined {
  return state === 'done'
    ? 'execution_success'
    : state === 'failed'
      ? 'execution_error'
      : state === 'cancelled'
        ? 'execution_interrupted'
        : undefined;
}

/** A job-level failure (no node): the frontend shows it as "type: message". */
export function jobLevelError(exceptionType: string, message: string): JobError {
  return {
    message,
    nodeId: '',
    nodeType: '',
    exceptionType,
    exceptionMessage: message,
    traceback: [],
    currentInputs: {},
    currentOutputs: [],
  };
}

/**
 * The JobError of ComfyUI's own `execution_error` payload; `userClass` names the node as the user
 * knows it (a PreviewImage submitted as a tagged SaveImage stays PreviewImage).
 */
export function jobErrorFromExecutionError(
  payload: Record<string, unknown>,
  userClass: (nodeId: string) => string | undefined = () => undefined,
): JobError {
  const nodeId = payload.node_id == null ? '' : String(payload.node_id);
  const nodeType = userClass(nodeId) ?? String(payload.node_type ?? '');
  const exceptionType = String(payload.exception_type ?? 'Exception');
  const exceptionMessage = String(payload.exception_message ?? '');
  const where = nodeId ? `node ${nodeId} (${nodeType || 'unknown type'})` : 'the prompt';
  return {
    message: `GPU error in ${where}: ${exceptionType}: ${exceptionMessage.split('\n')[0]}`,
    nodeId,
    nodeType,
    exceptionType,
    exceptionMessage,
    traceback: Array.isArray(payload.traceback) ? payload.traceback.map(String) : [],
    currentInputs: (payload.current_inputs as Record<string, unknown> | undefined) ?? {},
    currentOutputs: Array.isArray(payload.current_outputs)
      ? payload.current_outputs.map(String)
      : [],
  };
}

/**
 * The message that ends a finished job, from its record: `execution_success`, an `execution_error`
 * (`node_id` "" for job-level failures), or `execution_interrupted` (at the node that was running).
 * Undefined while the job runs.
 */
export function terminalMessage(
  job: EndingFacts,
  timestamp = job.finishedAt ?? job.startedAt ?? job.createdAt,
): ComfyMessage | undefined {
  const type = terminalTypeOf(job.state);
  if (type === 'execution_success') return { type, data: { prompt_id: job.id, timestamp } };
  if (type === 'execution_interrupted') {
    return {
      type,
      data: {
        prompt_id: job.id,
        node_id: job.progress?.nodeId ?? '',
        node_type: job.progress?.nodeType ?? '',
        executed: [...job.executedNodes],
        timestamp,
      },
    };
  }
  if (type !== 'execution_error') return undefined;
  const error = job.error ?? jobLevelError('RuntimeError', 'The job failed on the GPU service.');
  return {
    type,
    data: {
      prompt_id: job.id,
      node_id: error.nodeId,
      node_type: error.nodeType,
      executed: [...job.executedNodes],
      exception_message: error.exceptionMessage || error.message,
      exception_type: error.exceptionType,
      traceback: [...error.traceback],
      current_inputs: { ...error.currentInputs },
      current_outputs: [...error.currentOutputs],
      timestamp,
    },
  };
}

/** True when ComfyUI would have started executing the job (a deleted pending prompt never did). */
export function hasStarted(job: Pick<JobView, 'startedAt' | 'statusMessages'>): boolean {
  return (
    job.startedAt !== undefined || job.statusMessages.some(([type]) => type === 'execution_start')
  );
}

/**
 * History `status.messages` of a finished job: ComfyUI's `add_message` events (start, cached, the
 * ending). The GPU's own when the record has them, completed from the record where they lack one.
 */
export function historyMessages(
  job: EndingFacts & Pick<JobView, 'statusMessages'>,
): HistoryMessage[] {
  const messages = job.statusMessages.map(
    ([type, data]) => [type, { ...data, prompt_id: job.id }] as HistoryMessage,
  );
  const has = (type: string) => messages.some(([t]) => t === type);
  const startedAt = job.startedAt ?? job.createdAt;
  if (!has('execution_start'))
    messages.unshift(['execution_start', { prompt_id: job.id, timestamp: startedAt }]);
  if (!has('execution_cached'))
    messages.splice(1, 0, [
      'execution_cached',
      { nodes: [...job.cachedNodes], prompt_id: job.id, timestamp: startedAt },
    ]);
  const end = terminalMessage(job);
  if (end && !messages.some(([t]) => isTerminalType(t))) messages.push([end.type, end.data]);
  return messages;
}
