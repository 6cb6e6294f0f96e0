/**
 * @fileoverview Pure image operations on RGB float images (ImageInvert, ImageBlur, ImageScale, Canny).
 * Each is O(pixels) or close, because they run on the server's event loop.
 */
import { blankImage, type Image } from './image';

export function invert(image: Image): Image {
  const out = blankImage(image.width, image.height);
  for (let i = 0; i < out.data.length; i++) out.data[i] = 1 - (image.data[i] as number);
  return out;
}

/** 1-D Gaussian kernel like ComfyUI's ImageBlur (size 2r+1, sigma). */
export function gaussianKernel(radius: number, sigma: number): Float32Array {
  const kernel = new Float32Array(radius * 2 + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    const v = Math.exp(-(i * i) / (2 * sigma * sigma));
    kernel[i + radius] = v;
    sum += v;
  }
  for (let i = 0; i < kernel.length; i++) kernel[i] = (kernel[i] as number) / sum;
  return kernel;
}

/** Index reflection as torch's `F.pad(mode="reflect")` (which ImageBlur uses). */
function reflect(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let m = Math.abs(i) % period;
  if (m >= n) m = period - m;
  return m;
}

/**
 * Separable Gaussian blur. Large kernels on big images would block the event loop, so kernels wider
 * than 15 taps are approximated by three box passes of matching variance (O(pixels) whatever the radius).
 */
export function blur(image: Image, radius: number, sigma: number): Image {
  if (radius <= 0) return { ...image, data: image.data.slice() };
  if (radius <= 7) {
    const kernel = gaussianKernel(radius, sigma);
    return convolveSeparable(image, kernel);
  }
  let out = image;
  for (const box of boxSizes(sigma, 3)) out = boxBlur(out, Math.max(0, Math.floor((box - 1) / 2)));
  return out;
}

function convolveSeparable(image: Image, kernel: Float32Array): Image {
  const { width: w, height: h } = image;
  const r = (kernel.length - 1) / 2;
  const tmp = blankImage(w, h);
  const out = blankImage(w, h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) {
        let acc = 0;
        for (let k = -r; k <= r; k++)
          acc +=
            (kernel[k + r] as number) * (image.data[(y * w + reflect(x + k, w)) * 3 + c] as number);
        tmp.data[(y * w + x) * 3 + c] = acc;
      }
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) {
        let acc = 0;
        for (let k = -r; k <= r; k++)
          acc +=
            (kernel[k + r] as number) * (tmp.data[(reflect(y + k, h) * w + x) * 3 + c] as number);
        out.data[(y * w + x) * 3 + c] = acc;
      }
  return out;
}

/** Box widths whose three passes approximate a Gaussian of `sigma` (Kovesi's method). */
export function boxSizes(sigma: number, n: number): number[] {
  const wIdeal = Math.sqrt((12 * sigma * sigma) / n + 1);
  let wl = Math.floor(wIdeal);
  if (wl % 2 === 0) wl--;
  const wu = wl + 2;
  const mIdeal = (12 * sigma * sigma - n * wl * wl - 4 * n * wl - 3 * n) / (-4 * wl - 4);
  const m = Math.round(mIdeal);
  return Array.from({ length: n }, (_, i) => (i < m ? wl : wu));
}

/** Running-sum box blur (horizontal then vertical), edges clamped. */
export function boxBlur(image: Image, r: number): Image {
  if (r === 0) return image;
  const { width: w, height: h } = image;
  const pass = (
    src: Float32Array,
    dst: Float32Array,
    len: number,
    lines: number,
    at: (line: number, i: number) => number,
  ) => {
    const norm = 1 / (2 * r + 1);
    for (let line = 0; line < lines; line++)
      for (let c = 0; c < 3; c++) {
        let acc = 0;
        for (let i = -r; i <= r; i++)
          acc += src[at(line, Math.min(len - 1, Math.max(0, i))) * 3 + c] as number;
        for (let i = 0; i < len; i++) {
          dst[at(line, i) * 3 + c] = acc * norm;
          const add = Math.min(len - 1, i + r + 1);
          const sub = Math.max(0, i - r);
          acc += (src[at(line, add) * 3 + c] as number) - (src[at(line, sub) * 3 + c] as number);
        }
      }
  };
  const tmp = new Float32Array(image.data.length);
  const out = new Float32Array(image.data.length);
  pass(image.data, tmp, w, h, (y, x) => y * w + x);
  pass(tmp, out, h, w, (x, y) => y * w + x);
  return { width: w, height: h, data: out };
}

/** Nearest / bilinear resize (ImageScale's `nearest-exact` and the smooth methods). */
export function scale(image: Image, width: number, height: number, method: string): Image {
  const out = blankImage(width, height);
  const sx = image.width / width;
  const sy = image.height / height;
  const nearest = method === 'nearest-exact';
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const fx = Math.max(0, Math.min(image.width - 1, (x + 0.5) * sx - 0.5));
      const fy = Math.max(0, Math.min(image.height - 1, (y + 0.5) * sy - 0.5));
      for (let c = 0; c < 3; c++) {
        let v: number;
        if (nearest) {
          const ix = Math.min(image.width - 1, Math.floor((x + 0.5) * sx));
          const iy = Math.min(image.height - 1, Math.floor((y + 0.5) * sy));
          v = image.data[(iy * image.width + ix) * 3 + c] as number;
        } else {
          const x0 = Math.floor(fx),
            y0 = Math.floor(fy);
          const x1 = Math.min(image.width - 1, x0 + 1),
            y1 = Math.min(image.height - 1, y0 + 1);
          const ax = fx - x0,
            ay = fy - y0;
          const p = (xx: number, yy: number) =>
            image.data[(yy * image.width + xx) * 3 + c] as number;
          v =
            (p(x0, y0) * (1 - ax) + p(x1, y0) * ax) * (1 - ay) +
            (p(x0, y1) * (1 - ax) + p(x1, y1) * ax) * ay;
        }
        out.data[(y * width + x) * 3 + c] = v;
      }
    }
  return out;
}

/** ImageScale's crop="center": crop to the target aspect ratio before resizing. */
export function centerCrop(image: Image, width: number, height: number): Image {
  const oldAspect = image.width / image.height;
  const newAspect = width / height;
  let x = 0,
    y = 0,
    w = image.width,
    h = image.height;
  if (oldAspect > newAspect) {
    x = Math.round((image.width - image.width * (newAspect / oldAspect)) / 2);
    w = image.width - 2 * x;
  } else if (oldAspect < newAspect) {
    y = Math.round((image.height - image.height * (oldAspect / newAspect)) / 2);
    h = image.height - 2 * y;
  }
  const out = blankImage(w, h);
  for (let yy = 0; yy < h; yy++)
    for (let xx = 0; xx < w; xx++)
      for (let c = 0; c < 3; c++)
        out.data[(yy * w + xx) * 3 + c] = image.data[
          ((yy + y) * image.width + xx + x) * 3 + c
        ] as number;
  return out;
}

/**
 * Edge map in the spirit of kornia's Canny: grayscale, Sobel magnitude, then hysteresis on
 * normalised magnitude with the node's low/high thresholds. Output is white edges on black, 3 channels.
 */
export function canny(image: Image, low: number, high: number): Image {
  const { width: w, height: h } = image;
  const gray = new Float32Array(w * h);
  for (let p = 0; p < w * h; p++)
    gray[p] =
      0.299 * (image.data[p * 3] as number) +
      0.587 * (image.data[p * 3 + 1] as number) +
      0.114 * (image.data[p * 3 + 2] as number);
  const g = (x: number, y: number) =>
    gray[Math.min(h - 1, Math.max(0, y)) * w + Math.min(w - 1, Math.max(0, x))] as number;
  const mag = new Float32Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const gx =
        -g(x - 1, y - 1) -
        2 * g(x - 1, y) -
        g(x - 1, y + 1) +
        g(x + 1, y - 1) +
        2 * g(x + 1, y) +
        g(x + 1, y + 1);
      const gy =
        -g(x - 1, y - 1) -
        2 * g(x, y - 1) -
        g(x + 1, y - 1) +
        g(x - 1, y + 1) +
        2 * g(x, y + 1) +
        g(x + 1, y + 1);
      mag[y * w + x] = Math.hypot(gx, gy);
    }
  const strong = new Uint8Array(w * h);
  for (let p = 0; p < w * h; p++)
    strong[p] = (mag[p] as number) >= high ? 2 : (mag[p] as number) >= low ? 1 : 0;
  // Hysteresis: weak pixels survive only when connected to a strong one.
  const stack: number[] = [];
  for (let p = 0; p < w * h; p++) if (strong[p] === 2) stack.push(p);
  while (stack.length > 0) {
    const p = stack.pop() as number;
    const x = p % w,
      y = (p - x) / w;
    for (let dy = -1; dy <= 1; dy++)
      for (let dx = -1; dx <= 1; dx++) {
        const nx = x + dx,
          ny = y + dy;
        if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
        const q = ny * w + nx;
        if (strong[q] === 1) {
          strong[q] = 2;
          stack.push(q);
        }
      }
  }
  const out = blankImage(w, h);
  for (let p = 0; p < w * h; p++) {
    const v = strong[p] === 2 ? 1 : 0;
    out.data[p * 3] = v;
    out.data[p * 3 + 1] = v;
    out.data[p * 3 + 2] = v;
  }
  return out;
}
