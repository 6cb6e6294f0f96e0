/**
 * @fileoverview ComfyUI's `[event, data]` execution messages for a relay job, as ComfyUI keeps them
 * in history `status.messages` and sends them on the WebSocket. Used when the relay's record lacks
 * them (a job that failed before reaching a GPU, a serverless run without a live socket).
 */
import type { JobView } from '../../../protocol/src/relay/job';

export type StatusMessage = [string, Record<string, unknown>];

type JobFacts = Pick<
  JobView,
  'id' | 'state' | 'createdAt' | 'startedAt' | 'finishedAt' | 'executedNodes' | 'cachedNodes' | 'error' | 'progress'
>;

const terminalTypes = new Set(['execution_success', 'execution_error', 'execution_interrupted']);

export const isTerminalMessage = (type: string): boolean => terminalTypes.has(type);

export function startMessage(job: JobFacts, timestamp = job.startedAt ?? job.createdAt): StatusMessage {
  return ['execution_start', { prompt_id: job.id, timestamp }];
}

export function cachedMessage(job: JobFacts, timestamp = job.startedAt ?? job.createdAt): StatusMessage {
  return ['execution_cached', { nodes: [...job.cachedNodes], prompt_id: job.id, timestamp }];
}

/**
 * The message that ends a finished job: success, an `execution_error` whose `node_id` is `""` for
 * job-level failures (the frontend then shows "type: message"), or `execution_interrupted`.
 * `undefined` for a job that has not finished.
 */
export function terminalMessage(job: JobFacts, timestamp = job.finishedAt ?? Date.now()): StatusMessage | undefined {
  switch (job.state) {
    case 'done':
      return ['execution_success', { prompt_id: job.id, timestamp }];
    case 'failed': {
      const error = job.error;
      return [
        'execution_error',
        {
          prompt_id: job.id,
          node_id: error?.nodeId ?? '',
          node_type: error?.nodeType ?? '',
          executed: [...job.executedNodes],
          exception_message: error?.exceptionMessage || error?.message || 'The job failed on the GPU service.',
          exception_type: error?.exceptionType || 'RuntimeError',
          traceback: error?.traceback ?? [],
          current_inputs: error?.currentInputs ?? {},
          current_outputs: error?.currentOutputs ?? [],
          timestamp,
        },
      ];
    }
    case 'cancelled':
      return [
        'execution_interrupted',
        {
          prompt_id: job.id,
          node_id: job.progress?.nodeId ?? '',
          node_type: job.progress?.nodeType ?? '',
          executed: [...job.executedNodes],
          timestamp,
        },
      ];
    default:
      return undefined;
  }
}

/** True when ComfyUI would have started executing the job (a cancelled pending job never did). */
export function hasStarted(job: Pick<JobView, 'startedAt' | 'statusMessages'>): boolean {
  return job.startedAt !== undefined || job.statusMessages.some(([type]) => type === 'execution_start');
}

/**
 * The history `status.messages` of a finished job: the relay's own when complete, otherwise
 * completed with start/cached/terminal messages built from the job's facts.
 */
export function historyMessages(job: JobView): StatusMessage[] {
  const messages = job.statusMessages.map(([type, data]) => [type, { ...data }] as StatusMessage);
  const has = (type: string) => messages.some(([t]) => t === type);
  if (!has('execution_start')) messages.unshift(startMessage(job));
  if (!has('execution_cached')) messages.splice(1, 0, cachedMessage(job));
  const end = terminalMessage(job);
  if (end && !messages.some(([t]) => isTerminalMessage(t))) messages.push(end);
  return messages;
}
