/**
 * @fileoverview What a submitted prompt must be before it is stored: ComfyUI API format, at most
 * RELAY_MAX_NODES nodes, and no save prefix that would escape the job's output folder once tagged.
 * Checked before anything is queued, so a refused prompt leaves nothing behind.
 */
import { tagPrompt, TaggingError } from '../backends/tagging';
import { RelayError } from '../errors';

/** Throws `bad_request`, `too_many_nodes` or `path_escape`; `checkPrefixes` is false for a job created failed (it never reaches a GPU). */
export function checkPrompt(
  prompt: Record<string, unknown>,
  jobId: string,
  maxNodes: number,
  checkPrefixes: boolean,
): void {
  const ids = Object.keys(prompt);
  if (ids.length === 0) throw new RelayError('bad_request', 'the prompt has no nodes');
  if (ids.length > maxNodes)
    throw new RelayError(
      'too_many_nodes',
      `the prompt has ${ids.length} nodes; this relay accepts at most ${maxNodes} (RELAY_MAX_NODES)`,
    );
  for (const [id, node] of Object.entries(prompt)) {
    const n = node as { class_type?: unknown; inputs?: unknown } | null;
    if (
      !n ||
      typeof n !== 'object' ||
      typeof n.class_type !== 'string' ||
      (n.inputs !== undefined && (typeof n.inputs !== 'object' || n.inputs === null))
    )
      throw new RelayError(
        'bad_request',
        `node ${id} must be an object with a string class_type and an inputs object (ComfyUI API format)`,
      );
  }
  if (!checkPrefixes) return;
  try {
    tagPrompt(prompt, jobId); // refuses prefixes that would escape, before anything is queued
  } catch (error) {
    if (error instanceof TaggingError)
      throw new RelayError('path_escape', error.message, {
        details: { node_id: error.nodeId, class_type: error.classType },
      });
    throw error;
  }
}
