import { describe, expect, it } from 'vitest';
import { solidImage, blankImage, toRgb8 } from './image';
import { blur, boxSizes, canny, gaussianKernel, invert, scale } from './ops';

describe('image ops', () => {
  it('solid colours follow ComfyUI’s 0xRRGGBB int and invert to 1 - x', () => {
    const img = solidImage(2, 1, 0x0000ff);
    expect([...toRgb8(img)]).toEqual([0, 0, 255, 0, 0, 255]);
    expect([...toRgb8(invert(img))]).toEqual([255, 255, 0, 255, 255, 0]);
  });

  it('blur keeps a flat image flat and spreads a dot symmetrically (small and large radius)', () => {
    for (const radius of [3, 31]) {
      expect([...toRgb8(blur(solidImage(9, 9, 0x808080), radius, 2))].every((v) => v === 128)).toBe(
        true,
      );
      const dot = blankImage(21, 21);
      dot.data.fill(0);
      for (let c = 0; c < 3; c++) dot.data[(10 * 21 + 10) * 3 + c] = 1;
      const out = blur(dot, radius, 2);
      const at = (x: number, y: number) => out.data[(y * 21 + x) * 3] as number;
      expect(at(10, 10)).toBeGreaterThan(at(12, 10));
      expect(at(8, 10)).toBeCloseTo(at(12, 10), 5);
      expect(at(10, 8)).toBeCloseTo(at(10, 12), 5);
    }
  });

  it('kernels sum to 1 and box sizes approximate the sigma', () => {
    expect([...gaussianKernel(3, 1)].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    const sizes = boxSizes(10, 3);
    const variance = sizes.reduce((acc, w) => acc + (w * w - 1) / 12, 0);
    expect(Math.sqrt(variance)).toBeCloseTo(10, 0);
  });

  it('scale resizes; canny finds the edge of a half-black image and nothing in a flat one', () => {
    expect(scale(solidImage(4, 4, 0xffffff), 8, 2, 'bilinear')).toMatchObject({
      width: 8,
      height: 2,
    });
    const half = solidImage(16, 16, 0);
    for (let y = 0; y < 16; y++)
      for (let x = 8; x < 16; x++) for (let c = 0; c < 3; c++) half.data[(y * 16 + x) * 3 + c] = 1;
    const edges = canny(half, 0.4, 0.8);
    expect(edges.data[(8 * 16 + 8) * 3]).toBe(1);
    expect(edges.data[(8 * 16 + 2) * 3]).toBe(0);
    expect([...canny(solidImage(8, 8, 0xffffff), 0.4, 0.8).data].every((v) => v === 0)).toBe(true);
  });
});
