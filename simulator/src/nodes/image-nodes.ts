/**
 * @fileoverview Model-free image nodes with ComfyUI's real schemas: EmptyImage, LoadImage, ImageInvert,
 * ImageBlur, ImageScale, Canny. Filters count as "slow" nodes (one stepMs of simulated compute each).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import jpeg from 'jpeg-js';
import { join } from '../../../kit/py-path';
import { fromRgba8, solidImage, type ImageBatch, type Mask } from '../images/image';
import { blur, canny, centerCrop, invert, scale } from '../images/ops';
import { decodePng } from '../images/png';
import type { Dirs, NodeContext, NodeImpl } from './types';

/** Simulated filter time: one stepMs per started megapixel of the batch (a 4×1024² blur takes 4 steps). */
function filterWork(images: ImageBatch, ctx: NodeContext): Promise<void> {
  const pixels = images.reduce((sum, image) => sum + image.width * image.height, 0);
  return ctx.work(ctx.stepMs * Math.max(1, Math.ceil(pixels / 1_000_000)));
}

/** `folder_paths.annotated_filepath`: "name [output]" picks that folder (default input). */
export function annotatedPath(name: string, dirs: Dirs): string {
  for (const type of ['input', 'output', 'temp'] as const) {
    const suffix = ` [${type}]`;
    if (name.endsWith(suffix)) return join(dirs[type], name.slice(0, -suffix.length));
  }
  return join(dirs.input, name);
}

export const emptyImage: NodeImpl = {
  name: 'EmptyImage',
  outputNode: false,
  functionName: 'generate',
  module: 'nodes.py',
  async run(inputs) {
    const width = Number(inputs.width),
      height = Number(inputs.height);
    const batch = Number(inputs.batch_size ?? 1);
    const color = Number(inputs.color ?? 0);
    const one = solidImage(width, height, color);
    const images: ImageBatch = Array.from({ length: batch }, () => ({
      width,
      height,
      data: one.data.slice(),
    }));
    return { result: [images] };
  },
};

export const loadImage: NodeImpl = {
  name: 'LoadImage',
  outputNode: false,
  functionName: 'load_image',
  module: 'nodes.py',
  async run(inputs, ctx) {
    const file = readFileSync(annotatedPath(String(inputs.image), ctx.dirs));
    let decoded;
    if (file[0] === 0xff && file[1] === 0xd8) {
      const jpg = jpeg.decode(file, { useTArray: true });
      decoded = fromRgba8(jpg.width, jpg.height, jpg.data);
      decoded.mask = { width: 64, height: 64, data: new Float32Array(64 * 64) };
    } else decoded = decodePng(file);
    const mask: Mask = decoded.mask;
    return { result: [[decoded.image], [mask]] };
  },
  isChanged(inputs, dirs) {
    const path = annotatedPath(String(inputs.image), dirs);
    if (!existsSync(path)) return undefined;
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  },
  validateInputs(inputs, dirs) {
    const path = annotatedPath(String(inputs.image), dirs);
    return existsSync(path) && statSync(path).isFile()
      ? true
      : `Invalid image file: ${String(inputs.image)}`;
  },
};

export const imageInvert: NodeImpl = {
  name: 'ImageInvert',
  outputNode: false,
  functionName: 'invert',
  module: 'nodes.py',
  async run(inputs) {
    return { result: [(inputs.image as ImageBatch).map(invert)] };
  },
};

export const imageBlur: NodeImpl = {
  name: 'ImageBlur',
  outputNode: false,
  functionName: 'execute',
  module: 'comfy_extras/nodes_post_processing.py',
  async run(inputs, ctx) {
    const radius = Number(inputs.blur_radius);
    const sigma = Number(inputs.sigma);
    const images = inputs.image as ImageBatch;
    const out: ImageBatch = [];
    for (const image of images) out.push(blur(image, radius, sigma));
    await filterWork(images, ctx);
    return { result: [out] };
  },
};

export const imageScale: NodeImpl = {
  name: 'ImageScale',
  outputNode: false,
  functionName: 'upscale',
  module: 'nodes.py',
  async run(inputs, ctx) {
    const images = inputs.image as ImageBatch;
    const first = images[0];
    let width = Number(inputs.width),
      height = Number(inputs.height);
    if (first && (width === 0 || height === 0)) {
      if (width === 0 && height === 0) return { result: [images] };
      if (width === 0) width = Math.max(1, Math.round((first.width * height) / first.height));
      else height = Math.max(1, Math.round((first.height * width) / first.width));
    }
    const method = String(inputs.upscale_method);
    const out = images.map((image) =>
      scale(
        inputs.crop === 'center' ? centerCrop(image, width, height) : image,
        width,
        height,
        method,
      ),
    );
    await filterWork(images, ctx);
    return { result: [out] };
  },
};

export const cannyNode: NodeImpl = {
  name: 'Canny',
  outputNode: false,
  functionName: 'execute',
  module: 'comfy_extras/nodes_canny.py',
  async run(inputs, ctx) {
    const low = Number(inputs.low_threshold),
      high = Number(inputs.high_threshold);
    const out = (inputs.image as ImageBatch).map((image) => canny(image, low, high));
    await filterWork(inputs.image as ImageBatch, ctx);
    return { result: [out] };
  },
};
