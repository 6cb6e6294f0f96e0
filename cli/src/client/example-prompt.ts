/**
 * @fileoverview A small model-free workflow (EmptyImage → ImageBlur → SaveImage) that runs on the
 * simulator and on any real ComfyUI alike: what `rehearse` queues by default and what
 * `submit --example` queues to check that a job goes all the way through.
 */
import type { ApiPrompt } from './graph-to-prompt';

export const examplePrompt: ApiPrompt = {
  '1': { class_type: 'EmptyImage', inputs: { width: 256, height: 256, batch_size: 1, color: 0 } },
  '2': { class_type: 'ImageBlur', inputs: { image: ['1', 0], blur_radius: 3, sigma: 1 } },
  '3': {
    class_type: 'SaveImage',
    inputs: { images: ['2', 0], filename_prefix: 'comfyume-example' },
  },
};

/** A fresh variant per job, so the GPU's cache does not turn repeated jobs into no-ops. */
export function variant(prompt: ApiPrompt): ApiPrompt {
  const copy = structuredClone(prompt);
  for (const node of Object.values(copy)) {
    for (const key of ['seed', 'noise_seed'])
      if (typeof node.inputs[key] === 'number')
        node.inputs[key] = Math.floor(Math.random() * 2 ** 32);
    if (node.class_type === 'EmptyImage') node.inputs.color = Math.floor(Math.random() * 0xffffff);
  }
  return copy;
}
