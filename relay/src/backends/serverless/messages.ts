/**
 * @fileoverview What a serverless job (no GPU WebSocket) reports in ComfyUI's terms: the ComfyUI
 * messages it learned from history (forwarded as the GPU's own), the JobErrors of its failures
 * (built by protocol/comfy/sequence/terminal, the one place endings are written), and the graph
 * walk that says which nodes a set of outputs ran.
 */
import {
  jobErrorFromExecutionError,
  jobLevelError,
  type JobError,
} from '../../../../protocol/src/index';

export type ComfyMessage = { type: string; data: Record<string, unknown> };

export { jobLevelError };

/** A message learned from the GPU's history (e.g. its `execution_cached` list), stamped now. */
export const stamped = (
  type: string,
  jobId: string,
  extra: Record<string, unknown> = {},
): ComfyMessage => ({
  type,
  data: { prompt_id: jobId, ...extra, timestamp: Date.now() },
});

/** A JobError from ComfyUI's `execution_error` payload, with the node the user knows. */
export function jobErrorFromPayload(
  payload: Record<string, unknown>,
  userClass: (nodeId: string) => string | undefined,
): JobError {
  return jobErrorFromExecutionError(payload, userClass);
}

/** Every node a set of output nodes depends on (links are `[nodeId, slot]`), outputs included. */
export function upstreamOf(prompt: Record<string, unknown>, outputs: string[]): string[] {
  const seen = new Set<string>();
  const stack = [...outputs];
  while (stack.length) {
    const id = stack.pop() as string;
    if (seen.has(id) || !(id in prompt)) continue;
    seen.add(id);
    const inputs = (prompt[id] as { inputs?: Record<string, unknown> } | undefined)?.inputs ?? {};
    for (const value of Object.values(inputs)) {
      if (
        Array.isArray(value) &&
        value.length === 2 &&
        typeof value[0] === 'string' &&
        typeof value[1] === 'number'
      )
        stack.push(value[0]);
    }
  }
  return [...seen];
}
