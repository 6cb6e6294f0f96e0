/**
 * @fileoverview What handlers return (`{status, body}`, framework-free) and the one place that
 * writes it to a response. Error bodies for the prompt route use ComfyUI's own shape, so the
 * stock frontend shows our message in its usual error dialog.
 */
import { json, type Reply } from '../../../kit/aiohttp-reply';
import { SidecarError } from '../errors';

/** ComfyUI's prompt error body (`{error:{type,message,details,extra_info}, node_errors}`). */
export function promptErrorReply(
  status: number,
  type: string,
  message: string,
  details = '',
): Reply {
  return json({ error: { type, message, details, extra_info: {} }, node_errors: {} }, status);
}

/** A thrown error at the prompt route, as the frontend's error dialog shows it. */
export function promptFailure(error: unknown): Reply {
  if (error instanceof SidecarError) {
    const status =
      error.httpStatus === 401 || error.httpStatus === 403
        ? 500
        : error.httpStatus >= 500
          ? 503
          : 400;
    const nodeErrors = nodeErrorsOf(error);
    if (nodeErrors) {
      // ComfyUI's summary for per-node failures; the node entries carry the reason.
      const summary = {
        type: 'prompt_outputs_failed_validation',
        message: 'Prompt outputs failed validation',
        details: '',
        extra_info: {},
      };
      return json({ error: summary, node_errors: nodeErrors }, 400);
    }
    return promptErrorReply(status, error.code, error.message);
  }
  return promptErrorReply(500, 'internal', 'The sidecar failed to queue the prompt; see its log.');
}

/**
 * The node errors to show for a refusal: the relay's own `node_errors`, or — for a refusal about one
 * node (e.g. a `filename_prefix` that would leave the output folder) — that node marked the way
 * ComfyUI marks a failed validation, so the stock UI outlines it and names the input.
 */
function nodeErrorsOf(error: SidecarError): Record<string, unknown> | undefined {
  const details = error.details;
  if (!details || typeof details !== 'object') return undefined;
  const {
    node_errors: nodeErrors,
    node_id: nodeId,
    class_type: classType,
  } = details as Record<string, unknown>;
  if (nodeErrors && typeof nodeErrors === 'object' && Object.keys(nodeErrors).length)
    return nodeErrors as Record<string, unknown>;
  if (typeof nodeId !== 'string' || !nodeId) return undefined;
  const inputName = error.code === 'path_escape' ? 'filename_prefix' : undefined;
  return {
    [nodeId]: {
      errors: [
        {
          type: 'custom_validation_failed',
          message: 'Custom validation failed for node',
          details: inputName ? `${inputName} - ${error.message}` : error.message,
          extra_info: inputName ? { input_name: inputName } : {},
        },
      ],
      dependent_outputs: [nodeId],
      class_type: typeof classType === 'string' ? classType : '',
    },
  };
}

/** The JSON error for the other intercepted routes: protocol ErrorBody. */
export function errorReply(error: unknown): Reply {
  if (error instanceof SidecarError)
    return json({ error: { code: error.code, message: error.message } }, error.httpStatus);
  return json({ error: { code: 'internal', message: 'The sidecar failed; see its log.' } }, 500);
}
