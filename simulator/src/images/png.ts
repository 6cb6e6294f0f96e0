/**
 * @fileoverview PNG encode/decode with pngjs, plus tEXt chunk insertion and reading. ComfyUI (PIL) writes
 * RGB 8-bit PNGs with `prompt` and one tEXt per extra_pnginfo key before IDAT; we write the same layout.
 */
import { crc32 } from 'node:zlib';
import { PNG } from 'pngjs';
import { fromRgba8, toRgb8, type Image, type Mask } from './image';

export type TextChunk = { keyword: string; text: string };

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

type RawChunk = { type: string; data: Buffer };

export function readChunks(png: Buffer): RawChunk[] {
  if (!png.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG');
  const out: RawChunk[] = [];
  let at = 8;
  while (at + 8 <= png.length) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    out.push({ type, data: png.subarray(at + 8, at + 8 + length) });
    at += 12 + length;
  }
  return out;
}

export function readTextChunks(png: Buffer): TextChunk[] {
  return readChunks(png)
    .filter((c) => c.type === 'tEXt')
    .map((c) => {
      const nul = c.data.indexOf(0);
      return {
        keyword: c.data.toString('latin1', 0, nul),
        text: c.data.toString('latin1', nul + 1),
      };
    });
}

/** Insert tEXt chunks right after IHDR (where PIL puts them). */
export function withTextChunks(png: Buffer, texts: TextChunk[]): Buffer {
  if (texts.length === 0) return png;
  const ihdrEnd = 8 + 12 + png.readUInt32BE(8);
  const extra = texts.map((t) =>
    chunk(
      'tEXt',
      Buffer.concat([
        Buffer.from(t.keyword, 'latin1'),
        Buffer.from([0]),
        Buffer.from(t.text, 'latin1'),
      ]),
    ),
  );
  return Buffer.concat([png.subarray(0, ihdrEnd), ...extra, png.subarray(ihdrEnd)]);
}

/** RGB 8-bit PNG (colour type 2) at `compressLevel` (SaveImage 4, PreviewImage 1) with tEXt chunks. */
export function encodePng(image: Image, texts: TextChunk[] = [], compressLevel = 4): Buffer {
  const png = PNG.sync.write(
    Object.assign(new PNG({ width: image.width, height: image.height }), { data: toRgb8(image) }),
    { colorType: 2, inputColorType: 2, inputHasAlpha: false, deflateLevel: compressLevel },
  );
  return withTextChunks(png, texts);
}

/** Decode any PNG into RGB floats + mask (1 - alpha), as LoadImage does. */
export function decodePng(buffer: Buffer): { image: Image; mask: Mask } {
  const png = PNG.sync.read(buffer);
  return fromRgba8(png.width, png.height, png.data);
}
