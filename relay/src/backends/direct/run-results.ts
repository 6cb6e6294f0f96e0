/**
 * @fileoverview How a direct GPU's attempt ends when it does not end in the GPU's own result: a
 * relay-side failure, the GPU's validation refusal, or the GPU dying while it held the job (the
 * message the attendee reads: which GPU, where the job was, what to do).
 */
import { failedResult, whereItDied, type AttemptEnd } from '../attempt-end';
import type { RunResult, RunnableJob } from '../backend';
import { gpuRefusal } from '../gpu-refusal';

/** POST /prompt 400 → the ComfyUI validation failure as a JobError naming the node (gpu-refusal.ts). */
export function validationFailure(body: unknown): RunResult {
  const error = gpuRefusal(body);
  return failedResult(error.message, error);
}

/** The GPU died holding the job and no peer takes it over: the reason, in the attendee's words. */
export function gpuDied(
  job: RunnableJob,
  gpuName: string,
  end: Extract<AttemptEnd, { kind: 'died' }>,
  attempt: number,
  maxResubmits: number,
): RunResult {
  const where = whereItDied(job, end);
  const next =
    attempt > maxResubmits
      ? maxResubmits === 0
        ? 'Moving jobs to another GPU is off (GPU_MAX_RESUBMITS=0)'
        : `The job had already been moved to another GPU ${attempt - 1} time(s) and is not moved again`
      : 'No other GPU is available to take the job over';
  return failedResult(
    `The GPU ${gpuName} stopped responding ${where}; ${end.why}. ${next}: queue it again, and tell the workshop host if it keeps happening.`,
    { exceptionType: 'GpuDied' },
  );
}
