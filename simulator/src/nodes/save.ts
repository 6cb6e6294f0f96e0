/**
 * @fileoverview The saver nodes: SaveImage, PreviewImage (temp, `ComfyUI_temp_xxxxx`), SaveAnimatedPNG.
 * Naming, counters, escape refusal and PNG metadata follow ComfyUI's nodes.py / nodes_images.py.
 */
import { writeFileSync } from 'node:fs';
import UPNG from 'upng-js';
import { getSaveImagePath } from '../files/save-path';
import { toRgba8, type ImageBatch } from '../images/image';
import { encodePng, type TextChunk } from '../images/png';
import { pyJsonDumps } from '../../../protocol/src/comfy/py-format';
import { join } from '../../../kit/py-path';
import type { NodeImpl } from './types';
import { crc32 } from 'node:zlib';

/** PreviewImage's alphabet (ComfyUI's, which has no "w"). */
const TEMP_ALPHABET = 'abcdefghijklmnopqrstupvxyz';

export function randomTempSuffix(random: () => number = Math.random): string {
  let out = '_temp_';
  for (let i = 0; i < 5; i++) out += TEMP_ALPHABET[Math.floor(random() * TEMP_ALPHABET.length)];
  return out;
}

/** tEXt `prompt` plus one per extra_pnginfo key, JSON as Python's json.dumps writes it. */
export function metadataChunks(
  prompt: unknown,
  extraPnginfo: Record<string, unknown> | undefined,
): TextChunk[] {
  const texts: TextChunk[] = [];
  if (prompt !== undefined && prompt !== null)
    texts.push({ keyword: 'prompt', text: pyJsonDumps(prompt) });
  for (const [key, value] of Object.entries(extraPnginfo ?? {}))
    texts.push({ keyword: key, text: pyJsonDumps(value) });
  return texts;
}

type SaveOptions = {
  dir: string;
  type: 'output' | 'temp';
  prefixAppend: string;
  compressLevel: number;
};

function saveBatch(
  images: ImageBatch,
  prefix: string,
  prompt: unknown,
  extra: Record<string, unknown> | undefined,
  options: SaveOptions,
) {
  const first = images[0];
  const path = getSaveImagePath(
    prefix + options.prefixAppend,
    options.dir,
    first?.width ?? 0,
    first?.height ?? 0,
  );
  const results: Array<{ filename: string; subfolder: string; type: string }> = [];
  let counter = path.counter;
  images.forEach((image, batchNumber) => {
    const file = `${path.filename.replaceAll('%batch_num%', String(batchNumber))}_${String(counter).padStart(5, '0')}_.png`;
    writeFileSync(
      join(path.fullOutputFolder, file),
      encodePng(image, metadataChunks(prompt, extra), options.compressLevel),
    );
    results.push({ filename: file, subfolder: path.subfolder, type: options.type });
    counter++;
  });
  return results;
}

export const saveImage: NodeImpl = {
  name: 'SaveImage',
  outputNode: true,
  functionName: 'save_images',
  module: 'nodes.py',
  async run(inputs, ctx) {
    const images = inputs.images as ImageBatch;
    const results = saveBatch(
      images,
      String(inputs.filename_prefix ?? 'ComfyUI'),
      inputs.prompt,
      inputs.extra_pnginfo as Record<string, unknown> | undefined,
      {
        dir: ctx.dirs.output,
        type: 'output',
        prefixAppend: '',
        compressLevel: 4,
      },
    );
    return { result: [images], ui: { images: results } };
  },
};

/** PreviewImage keeps its random suffix for the life of its node object, like ComfyUI's object cache. */
export function makePreviewImage(suffixFor: (nodeId: string) => string): NodeImpl {
  return {
    name: 'PreviewImage',
    outputNode: true,
    functionName: 'save_images',
    module: 'nodes.py',
    async run(inputs, ctx) {
      const images = inputs.images as ImageBatch;
      const results = saveBatch(
        images,
        'ComfyUI',
        inputs.prompt,
        inputs.extra_pnginfo as Record<string, unknown> | undefined,
        {
          dir: ctx.dirs.temp,
          type: 'temp',
          prefixAppend: suffixFor(ctx.nodeId),
          compressLevel: 1,
        },
      );
      return { result: [images], ui: { images: results } };
    },
  };
}

/** A `comf` ancillary chunk (SaveAnimatedPNG's metadata after the image data). */
function comfChunk(keyword: string, text: string): Buffer {
  const data = Buffer.concat([
    Buffer.from(keyword, 'latin1'),
    Buffer.from([0]),
    Buffer.from(text, 'latin1'),
  ]);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write('comf', 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

export const saveAnimatedPng: NodeImpl = {
  name: 'SaveAnimatedPNG',
  outputNode: true,
  functionName: 'save_images',
  module: 'comfy_extras/nodes_images.py',
  async run(inputs, ctx) {
    const images = inputs.images as ImageBatch;
    const first = images[0];
    const width = first?.width ?? 0;
    const height = first?.height ?? 0;
    const path = getSaveImagePath(
      String(inputs.filename_prefix ?? 'ComfyUI'),
      ctx.dirs.output,
      width,
      height,
    );
    const fps = Number(inputs.fps ?? 6);
    const frames = images.map((image) => {
      const rgba = toRgba8(image);
      return rgba.buffer.slice(rgba.byteOffset, rgba.byteOffset + rgba.byteLength) as ArrayBuffer;
    });
    const apng = Buffer.from(
      UPNG.encode(
        frames,
        width,
        height,
        0,
        frames.map(() => Math.trunc(1000 / fps)),
      ),
    );
    // ComfyUI adds its metadata as `comf` chunks after the image data (before IEND).
    const meta = metadataChunks(
      inputs.prompt,
      inputs.extra_pnginfo as Record<string, unknown> | undefined,
    ).map((t) => comfChunk(t.keyword, t.text));
    const iend = apng.length - 12;
    const file = `${path.filename}_${String(path.counter).padStart(5, '0')}_.png`;
    writeFileSync(
      join(path.fullOutputFolder, file),
      Buffer.concat([apng.subarray(0, iend), ...meta, apng.subarray(iend)]),
    );
    return {
      result: [images],
      ui: {
        images: [{ filename: file, subfolder: path.subfolder, type: 'output' }],
        animated: [true],
      },
    };
  },
};
