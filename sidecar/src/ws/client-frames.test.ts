/** Which frames of a page are ours (never forwarded), which are a valid hello, and the page's flags. */
import { describe, expect, it } from 'vitest';
import { readClientFrame } from './client-frames';

const frame = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

describe('readClientFrame', () => {
  it('a valid hello', () => {
    expect(
      readClientFrame(frame({ type: 'comfyume.hello', data: { extension: 'comfyume' } })),
    ).toEqual({ kind: 'ours', hello: true });
  });

  it('junk naming our type is ours but not a hello: wrong shape, too long a name, huge, not JSON, another of our types', () => {
    for (const junk of [
      { type: 'comfyume.hello' },
      { type: 'comfyume.hello', data: { extension: 7 } },
      { type: 'comfyume.hello', data: { extension: 'x'.repeat(65) } },
      { type: 'comfyume.hello', data: { extension: 'ok', pad: 'y'.repeat(5_000) } },
      '{"type": "comfyume.hello", nope',
      { type: 'comfyume.job', data: {} },
      { data: { note: 'a "comfyume.hello" inside' }, type: 'feature_flags' },
    ]) {
      const read = readClientFrame(frame(junk));
      expect(read, JSON.stringify(junk).slice(0, 80)).toMatchObject({ kind: 'ours', hello: false });
    }
  });

  it("ComfyUI's own frames, with the page's preview support read from feature_flags", () => {
    expect(
      readClientFrame(frame({ type: 'feature_flags', data: { supports_preview_metadata: true } })),
    ).toEqual({ kind: 'comfy', supportsPreviewMetadata: true });
    expect(readClientFrame(frame({ type: 'feature_flags', data: {} }))).toEqual({
      kind: 'comfy',
      supportsPreviewMetadata: false,
    });
    expect(readClientFrame(frame('not json'))).toEqual({
      kind: 'comfy',
      supportsPreviewMetadata: false,
    });
  });
});
