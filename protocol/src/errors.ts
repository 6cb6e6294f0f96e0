/**
 * @fileoverview Error codes and the error body shared over the wire by relay and sidecar.
 * Every refusal is `{ error: { code, message } }` with a message a person can act on.
 */
import { z } from 'zod';

export const errorCodes = [
  'bad_request', // malformed or missing fields
  'invalid_json', // the body is not JSON
  'body_too_large', // over the configured body limit
  'too_deep', // JSON nested deeper than the limit (protocol/src/json-depth.ts)
  'too_many_nodes', // prompt over the node-count limit
  'path_escape', // a prefix, filename or subfolder that would leave its folder
  'unauthorized', // no or bad token
  'forbidden', // a valid token asking for someone else's thing, or a non-admin asking admin things
  'not_found',
  'conflict', // e.g. a job id reused with a different prompt
  'user_queue_full', // per-user cap on queued jobs
  'user_running_limit', // per-user cap on running jobs
  'prompt_invalid', // ComfyUI validation failed (node_errors attached in details)
  'backend_unavailable', // the GPU cannot be reached (after retries)
  'relay_unavailable', // sidecar: the relay cannot be reached
  'redis_unavailable',
  'timeout',
  'internal',
] as const;
export type ErrorCode = (typeof errorCodes)[number];

export const ErrorBody = z.object({
  error: z.object({
    code: z.enum(errorCodes),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;
