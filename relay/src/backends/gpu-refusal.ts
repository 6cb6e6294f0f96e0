/**
 * @fileoverview The GPU's ComfyUI refused a prompt (`POST /prompt` 400) — as one JobError that
 * names the node, so the attendee's tab gets ComfyUI's `execution_error` for that node.
 *
 * Why this happens at run time at all: Queue Prompt never waits for a cold GPU, so a prompt queued
 * before any copy of the GPU's node set existed was checked against the attendee's own ComfyUI.
 * The GPU's own validation at submit is the second check; a node class it lacks ends the job here
 * (both ComfyUI generations' bodies: 0.27 `missing_node_type` with `extra_info`, 0.8
 * `invalid_prompt` with "Node ID '#x'", and `node_errors` for bad values).
 */
import { jobLevelError, type JobError } from '../../../protocol/src/index';

type RefusalBody = {
  error?: {
    type?: unknown;
    message?: unknown;
    details?: unknown;
    extra_info?: { node_id?: unknown; class_type?: unknown };
  };
  node_errors?: Record<
    string,
    { class_type?: unknown; errors?: { message?: unknown; details?: unknown }[] }
  >;
};

const str = (v: unknown): string =>
  typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);

/** `body`: the parsed 400 body (or undefined); `text`: its raw text, for a body that was not JSON. */
export function gpuRefusal(body: unknown, text = ''): JobError {
  const b = (body && typeof body === 'object' ? body : {}) as RefusalBody;
  const [errNode, nodeError] = Object.entries(b.node_errors ?? {})[0] ?? ['', undefined];
  const first = nodeError?.errors?.[0];
  const extra = b.error?.extra_info;
  // The node: the first node error, else the missing class (0.27 extra_info, 0.8 "Node ID '#2'").
  const nodeId =
    errNode || str(extra?.node_id) || (/^Node ID '#(.+)'$/.exec(str(b.error?.details))?.[1] ?? '');
  const nodeType =
    str(nodeError?.class_type) ||
    str(extra?.class_type) ||
    (/node (.+) does not exist/.exec(str(b.error?.message))?.[1] ?? '');
  const what = str(b.error?.message) || text.slice(0, 200) || 'invalid prompt';
  const detail = first
    ? `${str(first.message)}: ${str(first.details)}`.replace(/: $/, '')
    : str(b.error?.details);
  const message = `the GPU refused the prompt: ${what}${detail ? ` (${detail})` : ''}`;
  return { ...jobLevelError(str(b.error?.type) || 'prompt_invalid', message), nodeId, nodeType };
}
