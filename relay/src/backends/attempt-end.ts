/**
 * @fileoverview How one attempt of a job on a GPU that holds it (a direct GPU, a pull worker) ends:
 * with a result, or with the GPU dying while it held the job; and the one shape of a failure the
 * relay itself decides (a job-level `RelayError` with the reason the attendee reads).
 */
import { jobLevelError } from '../../../protocol/src/index';
import type { RunResult } from './backend';

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
