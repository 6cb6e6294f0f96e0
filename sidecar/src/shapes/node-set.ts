/**
 * @fileoverview What you see is what runs: the node set the attendee's UI lists (`/object_info`) and
 * their prompts are validated against is the GPU's, so Load Checkpoint offers the GPU's models and a
 * node the GPU lacks shows as missing before Run, not after. Nodes that exist only in the attendee's
 * ComfyUI are kept only when they can never run: no outputs and not an output node (notes,
 * displays of nothing). ComfyUI never executes such a node, and it is taken out of the prompt before
 * it goes to the GPU, which does not know it. (The frontend's own UI-only nodes — PrimitiveNode,
 * Reroute, Note — are not in any /object_info; the frontend registers them itself.) Pure.
 */
import type { ComfyNodeDef } from '../../../protocol/src/comfy/http';
import type { ObjectInfo } from '../relay/gpu-catalog';

/** A definition that ComfyUI can never execute: nothing consumes it and it is no output. */
export function isInert(def: ComfyNodeDef | undefined): boolean {
  return !!def && Array.isArray(def.output) && def.output.length === 0 && def.output_node !== true;
}

/** The GPU's node set plus the attendee's inert local-only nodes. */
export function mergeObjectInfo(gpu: ObjectInfo, local: unknown): ObjectInfo {
  if (!local || typeof local !== 'object') return gpu;
  const merged: ObjectInfo = { ...gpu };
  for (const [name, def] of Object.entries(local as ObjectInfo)) {
    if (!Object.prototype.hasOwnProperty.call(gpu, name) && isInert(def)) merged[name] = def;
  }
  return merged;
}

/**
 * The prompt without its inert nodes (by the attendee's own definitions): what goes to the GPU
 * when its node set is not known yet. Safe for any GPU: ComfyUI never executes or validates a node
 * nothing can consume and that is no output; and a GPU that lacks one would refuse the prompt.
 */
export function withoutInert<T extends Record<string, unknown>>(prompt: T, local: ObjectInfo): T {
  const kept = Object.entries(prompt).filter(([, node]) => {
    const classType = (node as { class_type?: unknown } | null)?.class_type;
    return !(
      typeof classType === 'string' &&
      Object.prototype.hasOwnProperty.call(local, classType) &&
      isInert(local[classType])
    );
  });
  return kept.length === Object.keys(prompt).length ? prompt : (Object.fromEntries(kept) as T);
}

/** The prompt without nodes the GPU does not have (only inert ones pass validation). */
export function withoutLocalOnly<T extends Record<string, unknown>>(prompt: T, gpu: ObjectInfo): T {
  const kept = Object.entries(prompt).filter(([, node]) => {
    const classType = (node as { class_type?: unknown } | null)?.class_type;
    return typeof classType === 'string' && Object.prototype.hasOwnProperty.call(gpu, classType);
  });
  return kept.length === Object.keys(prompt).length ? prompt : (Object.fromEntries(kept) as T);
}
