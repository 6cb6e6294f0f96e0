/** @fileoverview Test helper: the tEXt chunks of a PNG (ComfyUI keeps `prompt` and `workflow` there). */
export function pngTextChunks(png: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  if (png.subarray(0, 8).toString('hex') !== '89504e470d0a1a0a') throw new Error('not a PNG');
  let at = 8;
  while (at + 8 <= png.length) {
    const length = png.readUInt32BE(at);
    const type = png.subarray(at + 4, at + 8).toString('latin1');
    const data = png.subarray(at + 8, at + 8 + length);
    if (type === 'tEXt') {
      const zero = data.indexOf(0);
      out[data.subarray(0, zero).toString('latin1')] = data.subarray(zero + 1).toString('latin1');
    }
    at += 12 + length;
  }
  return out;
}
