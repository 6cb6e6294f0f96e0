/**
 * @fileoverview Checking a prompt before the GPU's node set is known (a GPU never warm yet): the
 * attendee's own ComfyUI's definitions, with each combo list also holding the value the prompt
 * chose. Those lists are the machine's files (checkpoints, LoRAs …), which live on the GPU and not
 * in the attendee's container: the attendee's lists cannot refuse them, so the GPU's own ComfyUI
 * does when the job is submitted there (a refusal then fails the job in ComfyUI's error shape).
 * Upload combos (LoadImage's files) are left alone: those files are the attendee's, checked here.
 * Pure.
 */
import type { ComfyNodeDef } from '../../../protocol/src/comfy/http';

const isUploadCombo = (options: unknown) =>
  !!options &&
  typeof options === 'object' &&
  Object.keys(options).some(
    (key) => key.endsWith('_upload') && (options as Record<string, unknown>)[key] === true,
  );

/** A copy of `info` whose non-upload combo lists also hold the prompt's chosen values (the same object when none was missing). */
export function withPromptChoices(
  info: Record<string, ComfyNodeDef>,
  prompt: Record<string, unknown>,
): Record<string, ComfyNodeDef> {
  let copy: Record<string, ComfyNodeDef> | undefined;
  for (const node of Object.values(prompt)) {
    const { class_type: classType, inputs } = (node ?? {}) as {
      class_type?: unknown;
      inputs?: unknown;
    };
    if (
      typeof classType !== 'string' ||
      !inputs ||
      typeof inputs !== 'object' ||
      !Object.prototype.hasOwnProperty.call(info, classType)
    )
      continue;
    for (const [name, value] of Object.entries(inputs)) {
      if (typeof value !== 'string') continue; // links and numbers are not combo choices
      const def = (copy ?? info)[classType]!;
      for (const group of ['required', 'optional'] as const) {
        const spec = def.input[group]?.[name] as unknown[] | undefined;
        if (!Array.isArray(spec)) continue;
        const list = Array.isArray(spec[0])
          ? spec[0]
          : (spec[1] as { options?: unknown[] } | undefined)?.options;
        if (!Array.isArray(list) || list.includes(value) || isUploadCombo(spec[1])) continue;
        copy ??= { ...info };
        if (copy[classType] === info[classType])
          copy[classType] = structuredClone(info[classType]!);
        const own = copy[classType]!.input[group]![name] as unknown[];
        const ownList = Array.isArray(own[0]) ? own[0] : (own[1] as { options: unknown[] }).options;
        ownList.push(value);
      }
    }
  }
  return copy ?? info;
}
