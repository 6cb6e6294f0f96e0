/**
 * @fileoverview The simulator's IMAGE/MASK values. Pixels are RGB floats in 0..1, like ComfyUI's
 * `[B,H,W,3]` tensors, so invert/blur/scale results and the saved PNG bytes follow the real server's math.
 */

export type Image = { width: number; height: number; data: Float32Array };
/** A batch: every frame has the same size (ComfyUI's IMAGE is one tensor). */
export type ImageBatch = Image[];
export type Mask = { width: number; height: number; data: Float32Array };

export function blankImage(width: number, height: number): Image {
  return { width, height, data: new Float32Array(width * height * 3) };
}

/** ComfyUI's 24-bit color int (0xRRGGBB) to a solid image. */
export function solidImage(width: number, height: number, color: number): Image {
  const image = blankImage(width, height);
  const r = ((color >> 16) & 0xff) / 255;
  const g = ((color >> 8) & 0xff) / 255;
  const b = (color & 0xff) / 255;
  for (let i = 0; i < width * height; i++) {
    image.data[i * 3] = r;
    image.data[i * 3 + 1] = g;
    image.data[i * 3 + 2] = b;
  }
  return image;
}

/** `np.clip(255. * i, 0, 255).astype(np.uint8)` into an RGB byte buffer (what SaveImage writes). */
export function toRgb8(image: Image): Buffer {
  const out = Buffer.alloc(image.width * image.height * 3);
  for (let i = 0; i < out.length; i++) {
    const v = 255 * (image.data[i] as number);
    out[i] = v <= 0 || Number.isNaN(v) ? 0 : v >= 255 ? 255 : Math.trunc(v);
  }
  return out;
}

export function toRgba8(image: Image): Buffer {
  const rgb = toRgb8(image);
  const out = Buffer.alloc(image.width * image.height * 4);
  for (let p = 0; p < image.width * image.height; p++) {
    out[p * 4] = rgb[p * 3] as number;
    out[p * 4 + 1] = rgb[p * 3 + 1] as number;
    out[p * 4 + 2] = rgb[p * 3 + 2] as number;
    out[p * 4 + 3] = 255;
  }
  return out;
}

export function fromRgba8(
  width: number,
  height: number,
  rgba: Uint8Array,
): { image: Image; mask: Mask } {
  const image = blankImage(width, height);
  const mask: Mask = { width, height, data: new Float32Array(width * height) };
  for (let p = 0; p < width * height; p++) {
    image.data[p * 3] = (rgba[p * 4] as number) / 255;
    image.data[p * 3 + 1] = (rgba[p * 4 + 1] as number) / 255;
    image.data[p * 3 + 2] = (rgba[p * 4 + 2] as number) / 255;
    // LoadImage: mask = 1 - alpha
    mask.data[p] = 1 - (rgba[p * 4 + 3] as number) / 255;
  }
  return { image, mask };
}
