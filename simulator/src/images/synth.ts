/**
 * @fileoverview Deterministic "generated" pictures for the simulated model nodes: the same seed and prompt
 * text always give the same image; a sampling step k of n gives a noisy blend (used for previews).
 */
import { createHash } from 'node:crypto';
import { blankImage, type Image } from './image';

/** mulberry32: tiny seeded PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function hashSeed(...parts: unknown[]): number {
  return createHash('sha256').update(JSON.stringify(parts)).digest().readUInt32BE(0);
}

const GRID = 6;

/** A smooth colour field from a GRID×GRID lattice of random colours, plus a few soft discs. */
export function synthImage(width: number, height: number, seed: number, progress = 1): Image {
  const random = prng(seed);
  const lattice = Array.from({ length: (GRID + 1) * (GRID + 1) * 3 }, () => random());
  const discs = Array.from({ length: 4 }, () => ({
    x: random(),
    y: random(),
    r: 0.1 + random() * 0.25,
    c: [random(), random(), random()],
  }));
  const noise = prng(seed ^ 0x9e3779b9);
  const image = blankImage(width, height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const u = (x / Math.max(1, width - 1)) * GRID;
      const v = (y / Math.max(1, height - 1)) * GRID;
      const x0 = Math.min(GRID - 1, Math.floor(u)),
        y0 = Math.min(GRID - 1, Math.floor(v));
      const fx = u - x0,
        fy = v - y0;
      const sx = fx * fx * (3 - 2 * fx),
        sy = fy * fy * (3 - 2 * fy);
      for (let c = 0; c < 3; c++) {
        const at = (gx: number, gy: number) => lattice[(gy * (GRID + 1) + gx) * 3 + c] as number;
        let value =
          (at(x0, y0) * (1 - sx) + at(x0 + 1, y0) * sx) * (1 - sy) +
          (at(x0, y0 + 1) * (1 - sx) + at(x0 + 1, y0 + 1) * sx) * sy;
        for (const disc of discs) {
          const d = Math.hypot(x / width - disc.x, y / height - disc.y) / disc.r;
          if (d < 1) value = value * d + (disc.c[c] as number) * (1 - d);
        }
        const n = noise();
        image.data[(y * width + x) * 3 + c] = value * progress + n * (1 - progress);
      }
    }
  return image;
}
