/**
 * @fileoverview `str(tensor)` as torch prints an IMAGE batch `[B,H,W,3]` (summarised with 3 edge items
 * past 1000 elements), so execution_error.current_inputs reads like the real server's.
 */
import type { ImageBatch } from '../images/image';

const EDGE = 3;
const THRESHOLD = 1000;

type Nd = { shape: number[]; at: (index: number[]) => number };

function summarisedIndices(size: number, summarise: boolean): Array<number | '...'> {
  if (!summarise || size <= 2 * EDGE) return Array.from({ length: size }, (_, i) => i);
  return [0, 1, 2, '...', size - 3, size - 2, size - 1];
}

function collect(t: Nd, summarise: boolean, prefix: number[] = [], out: number[] = []): number[] {
  const dim = prefix.length;
  if (dim === t.shape.length) {
    out.push(t.at(prefix));
    return out;
  }
  for (const i of summarisedIndices(t.shape[dim] as number, summarise))
    if (i !== '...') collect(t, summarise, [...prefix, i], out);
  return out;
}

function formatter(values: number[]): (v: number) => string {
  const finite = values.filter(Number.isFinite);
  const intMode = finite.every((v) => Number.isInteger(v));
  const fmt = (v: number) => (intMode ? `${v.toFixed(0)}.` : v.toFixed(4));
  const width = Math.max(1, ...values.map((v) => fmt(v).length));
  return (v) => fmt(v).padStart(width);
}

function render(
  t: Nd,
  fmt: (v: number) => string,
  summarise: boolean,
  indent: number,
  prefix: number[],
): string {
  const dim = t.shape.length - prefix.length;
  const size = t.shape[prefix.length] as number;
  const parts = summarisedIndices(size, summarise).map((i) =>
    i === '...'
      ? '...'
      : dim === 1
        ? fmt(t.at([...prefix, i]))
        : render(t, fmt, summarise, indent + 1, [...prefix, i]),
  );
  if (dim === 1) return '[' + parts.join(', ') + ']';
  return '[' + parts.join(',' + '\n'.repeat(dim - 1) + ' '.repeat(indent + 1)) + ']';
}

export function tensorRepr(batch: ImageBatch): string {
  const first = batch[0];
  if (!first) return 'tensor([])';
  const t: Nd = {
    shape: [batch.length, first.height, first.width, 3],
    at: ([b, y, x, c]) =>
      (batch[b as number]?.data[
        ((y as number) * first.width + (x as number)) * 3 + (c as number)
      ] as number) ?? 0,
  };
  const numel = t.shape.reduce((a, b) => a * b, 1);
  const summarise = numel > THRESHOLD;
  const fmt = formatter(collect(t, summarise));
  return 'tensor(' + render(t, fmt, summarise, 'tensor('.length, []) + ')';
}
