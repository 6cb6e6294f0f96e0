/**
 * @fileoverview Simulated model nodes (no weights): CheckpointLoaderSimple, CLIPTextEncode, EmptyLatentImage,
 * KSampler (per-step progress and previews, stepMs each), VAEDecode (deterministic picture from seed + text).
 */
import { synthImage, hashSeed } from '../images/synth';
import { scale } from '../images/ops';
import type { ImageBatch } from '../images/image';
import type { NodeImpl } from './types';

/** Checkpoint names the simulated GPU "has" (listed in object_info and /models/checkpoints). */
/** The default workflows of the stock frontends name these (1.44+ asks for the fp16 one): a fresh page runs as is. */
export const SIMULATED_CHECKPOINTS = [
  'sd_xl_base_1.0.safetensors',
  'v1-5-pruned-emaonly.safetensors',
  'v1-5-pruned-emaonly-fp16.safetensors',
];

type Model = { kind: 'model' | 'clip' | 'vae'; name: string };
type Conditioning = { text: string };
export type Latent = {
  width: number;
  height: number;
  batch: number;
  seed?: number;
  positive?: string;
  negative?: string;
  model?: string;
  settings?: string;
};

export const checkpointLoader: NodeImpl = {
  name: 'CheckpointLoaderSimple',
  outputNode: false,
  functionName: 'load_checkpoint',
  module: 'nodes.py',
  async run(inputs, ctx) {
    const name = String(inputs.ckpt_name);
    await ctx.work(ctx.stepMs);
    const models: Model[] = [
      { kind: 'model', name },
      { kind: 'clip', name },
      { kind: 'vae', name },
    ];
    return { result: models };
  },
};

export const clipTextEncode: NodeImpl = {
  name: 'CLIPTextEncode',
  outputNode: false,
  functionName: 'encode',
  module: 'nodes.py',
  async run(inputs) {
    const conditioning: Conditioning = { text: String(inputs.text ?? '') };
    return { result: [conditioning] };
  },
};

export const emptyLatentImage: NodeImpl = {
  name: 'EmptyLatentImage',
  outputNode: false,
  functionName: 'generate',
  module: 'nodes.py',
  async run(inputs) {
    const latent: Latent = {
      width: Number(inputs.width),
      height: Number(inputs.height),
      batch: Number(inputs.batch_size ?? 1),
    };
    return { result: [latent] };
  },
};

/** What the preview at step k looks like: latent2rgb previews are at latent resolution (1/8). */
function previewFor(latent: Latent, seed: number, step: number, steps: number) {
  const w = Math.max(8, Math.round(latent.width / 8));
  const h = Math.max(8, Math.round(latent.height / 8));
  return synthImage(w, h, seed, step / steps);
}

export const kSampler: NodeImpl = {
  name: 'KSampler',
  outputNode: false,
  functionName: 'sample',
  module: 'nodes.py',
  async run(inputs, ctx) {
    const latent = inputs.latent_image as Latent;
    const positive = (inputs.positive as Conditioning | undefined)?.text ?? '';
    const negative = (inputs.negative as Conditioning | undefined)?.text ?? '';
    const model = (inputs.model as Model | undefined)?.name ?? '';
    const steps = Number(inputs.steps);
    const seed = Number(inputs.seed);
    const settings = [inputs.cfg, inputs.sampler_name, inputs.scheduler, inputs.denoise].join('|');
    const imageSeed = hashSeed(seed, positive, negative, model, settings);
    for (let step = 1; step <= steps; step++) {
      await ctx.work(ctx.stepMs);
      await ctx.progress(step, steps, previewFor(latent, imageSeed, step, steps));
    }
    const out: Latent = { ...latent, seed, positive, negative, model, settings };
    return { result: [out] };
  },
};

export const vaeDecode: NodeImpl = {
  name: 'VAEDecode',
  outputNode: false,
  functionName: 'decode',
  module: 'nodes.py',
  async run(inputs, ctx) {
    const latent = inputs.samples as Latent;
    await ctx.work(ctx.stepMs);
    const images: ImageBatch = [];
    for (let i = 0; i < latent.batch; i++) {
      if (latent.seed === undefined) {
        // An unsampled (empty) latent decodes to a flat brownish grey on real SD VAEs.
        images.push(scale(synthImage(8, 8, 0, 0), latent.width, latent.height, 'nearest-exact'));
        images[i]?.data.fill(0.42);
        continue;
      }
      const seed = hashSeed(
        latent.seed + i,
        latent.positive,
        latent.negative,
        latent.model,
        latent.settings,
      );
      images.push(synthImage(latent.width, latent.height, seed, 1));
    }
    return { result: [images] };
  },
};
