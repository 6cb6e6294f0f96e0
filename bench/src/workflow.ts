/**
 * @fileoverview The work both sides do: ComfyUI's default txt2img graph (API format), small enough
 * to run many times, with a fresh seed per run so neither ComfyUI's cache nor the relay's
 * idempotency turns a run into a no-op.
 */

export type ApiPrompt = Record<string, { class_type: string; inputs: Record<string, unknown> }>;

/** The SaveImage node whose `executed` carries the image the user sees. */
export const SAVE_NODE = '9';

export type WorkflowSize = { width: number; height: number; steps: number };

export function txt2img(seed: number, size: WorkflowSize): ApiPrompt {
  return {
    '3': {
      class_type: 'KSampler',
      inputs: {
        cfg: 8,
        denoise: 1,
        latent_image: ['5', 0],
        model: ['4', 0],
        negative: ['7', 0],
        positive: ['6', 0],
        sampler_name: 'euler',
        scheduler: 'normal',
        seed,
        steps: size.steps,
      },
    },
    '4': {
      class_type: 'CheckpointLoaderSimple',
      inputs: { ckpt_name: 'v1-5-pruned-emaonly.safetensors' },
    },
    '5': {
      class_type: 'EmptyLatentImage',
      inputs: { batch_size: 1, height: size.height, width: size.width },
    },
    '6': {
      class_type: 'CLIPTextEncode',
      inputs: { clip: ['4', 1], text: 'a lighthouse at dusk, oil painting' },
    },
    '7': { class_type: 'CLIPTextEncode', inputs: { clip: ['4', 1], text: 'blurry' } },
    '8': { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['4', 2] } },
    [SAVE_NODE]: {
      class_type: 'SaveImage',
      inputs: { filename_prefix: 'bench', images: ['8', 0] },
    },
  };
}

/** The body the ComfyUI frontend posts to /api/prompt (with a small stand-in for the UI workflow). */
export function promptBody(
  clientId: string,
  seed: number,
  size: WorkflowSize,
): Record<string, unknown> {
  return {
    client_id: clientId,
    prompt: txt2img(seed, size),
    extra_data: {
      extra_pnginfo: { workflow: { version: 0.4, nodes: [], links: [], extra: { bench: true } } },
    },
  };
}

/** Seeds that differ between runs and between invocations of the benchmark. */
export function seeds(): () => number {
  let next = Math.floor(Math.random() * 2 ** 31);
  return () => (next = (next + 7919) % 2 ** 32);
}
