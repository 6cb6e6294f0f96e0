/**
 * @fileoverview How one attempt of a job on a GPU that holds it (a direct GPU, a pull worker) ends:
 * with a result, or with the GPU dying while it held the job; and the one shape of a failure the
 * relay itself decides (a job-level `RelayError` with the reason the attendee reads).
 */
import { jobLevelError } from '../../../protocol/src/index';
import type { RunnableJob, RunResult } from './backend';

export type AttemptEnd =
  { kind: 'result'; result: RunResult } | { kind: 'died'; why: string; node?: string };

export function failedResult(
  message: string,
  extra: Partial<NonNullable<RunResult['error']>> = {},
): RunResult {
  return {
    status: 'error',
    outputs: {},
    cachedNodes: [],
    executedNodes: [],
    statusMessages: [],
    error: { ...jobLevelError('RelayError', message), ...extra },
  };
}

/** Where the job was when its GPU died, in the attendee's words: "while running node 3 (KSampler)". */
export function whereItDied(job: RunnableJob, end: Extract<AttemptEnd, { kind: 'died' }>): string {
  if (!end.node) return 'while it held the job';
  const node = job.prompt[end.node] as { class_type?: unknown } | undefined;
  const type = typeof node?.class_type === 'string' ? ` (${node.class_type})` : '';
  return `while running node ${end.node}${type}`;
}
