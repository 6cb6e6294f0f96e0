/**
 * Before the GPU's node set is known, a model the attendee's ComfyUI does not list is the GPU's to
 * refuse, not ours; the attendee's own files (upload combos) and every other rule still apply here.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { ComfyNodeDef } from '../../../protocol/src/comfy/http';
import { validatePrompt } from '../../../protocol/src/comfy/validate';
import { withPromptChoices } from './gpu-choices';

const local = createRequire(import.meta.url)(
  '../../../simulator/src/nodes/object-info.json',
) as Record<string, ComfyNodeDef>;

// Checkpoint → VAE Decode (of an empty latent) → Save: the checkpoint is validated (it feeds an output).
const checkpointPrompt = (
  ckpt: unknown,
): Record<string, { class_type: string; inputs: Record<string, unknown> }> => ({
  '1': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: ckpt } },
  '2': { class_type: 'EmptyLatentImage', inputs: { width: 64, height: 64, batch_size: 1 } },
  '5': { class_type: 'VAEDecode', inputs: { samples: ['2', 0], vae: ['1', 2] } },
  '3': { class_type: 'SaveImage', inputs: { images: ['5', 0], filename_prefix: 'x' } },
  '4': { class_type: 'LoadImage', inputs: { image: 'not-here.png' } },
});

describe('withPromptChoices', () => {
  it("adds the prompt's model to the local list (the attendee's container has no models), not its missing upload file", () => {
    const prompt = checkpointPrompt('gpu-only.safetensors');
    const widened = withPromptChoices(local, prompt);
    expect((widened.CheckpointLoaderSimple!.input.required!.ckpt_name as unknown[][])[0]).toEqual([
      'gpu-only.safetensors',
    ]);
    expect((widened.LoadImage!.input.required!.image as unknown[][])[0]).toEqual(['example.png']);
    // The definitions it was given are untouched (they are the cached local set).
    expect((local.CheckpointLoaderSimple!.input.required!.ckpt_name as unknown[][])[0]).toEqual([]);
  });

  it('lets validation pass the model and still refuse what the attendee got wrong', () => {
    const ok = checkpointPrompt('gpu-only.safetensors');
    delete ok['4'];
    expect(validatePrompt(ok, local, null).ok).toBe(false); // the local list alone refuses it…
    expect(validatePrompt(ok, withPromptChoices(local, ok), null).ok).toBe(true); // …widened, it passes
    const badWidth = {
      ...ok,
      '2': { class_type: 'EmptyLatentImage', inputs: { width: 'wide', height: 64, batch_size: 1 } },
    };
    expect(validatePrompt(badWidth, withPromptChoices(local, badWidth), null).ok).toBe(false);
  });

  it('returns the same object when every choice is listed', () => {
    const prompt = {
      '2': { class_type: 'EmptyLatentImage', inputs: { width: 64, height: 64, batch_size: 1 } },
    };
    expect(withPromptChoices(local, prompt)).toBe(local);
  });
});
