import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { solidImage } from './image';
import { decodePng, encodePng, readChunks, readTextChunks } from './png';

const fixtures = path.resolve(
  import.meta.dirname,
  '../../../../shared/fixtures/comfyui/real-0.27.0/api',
);

describe('PNG writing', () => {
  it('writes RGB 8-bit with tEXt before IDAT, like the recorded SaveImage output', () => {
    const recorded = readFileSync(
      path.join(fixtures, 'run1_empty_save/view_2_output_realcomfy2_run1_00001_.png'),
    );
    const recordedTypes = readChunks(recorded).map((c) => c.type);
    const prompt = readTextChunks(recorded).find((t) => t.keyword === 'prompt')?.text ?? '';
    const ours = encodePng(solidImage(64, 64, 16711680), [{ keyword: 'prompt', text: prompt }]);
    expect(
      readChunks(ours)
        .map((c) => c.type)
        .filter((t, i, a) => a.indexOf(t) === i),
    ).toEqual(recordedTypes.filter((t, i, a) => a.indexOf(t) === i));
    expect(readChunks(ours)[0]?.data.subarray(8, 10)).toEqual(
      readChunks(recorded)[0]?.data.subarray(8, 10),
    );
    expect(readTextChunks(ours)).toEqual(readTextChunks(recorded));
    // Same pixels as the real server's file.
    expect(Buffer.from(decodePng(ours).image.data.buffer)).toEqual(
      Buffer.from(decodePng(recorded).image.data.buffer),
    );
  });

  it('writes one tEXt per extra_pnginfo key after prompt', () => {
    const png = encodePng(solidImage(2, 2, 0), [
      { keyword: 'prompt', text: '{"1": {}}' },
      { keyword: 'workflow', text: '{"id": "w"}' },
    ]);
    expect(readTextChunks(png).map((t) => t.keyword)).toEqual(['prompt', 'workflow']);
    expect(decodePng(png).image.width).toBe(2);
  });
});
