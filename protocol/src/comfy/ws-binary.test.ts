/** @fileoverview Round trips and exact layouts of ComfyUI binary WS frames (types 1, 3, 4). */
import { describe, expect, it } from 'vitest';
import {
  decodeBinaryFrame,
  encodePreview,
  encodePreviewWithMetadata,
  encodeProgressText,
  sniffPreviewMime,
  toLegacyPreview,
} from './ws-binary';

const JPEG = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);
const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 9, 9]);
const PROMPT = '5d1f0e4c-9a53-4c55-8a3e-2f4c6b1e7a10';
const meta = {
  node_id: '3',
  prompt_id: PROMPT,
  display_node_id: '3',
  parent_node_id: null,
  real_node_id: '3',
};

const u32 = (bytes: Uint8Array, at: number) =>
  new DataView(bytes.buffer, bytes.byteOffset).getUint32(at, false);

describe('type 1 PREVIEW_IMAGE', () => {
  it.each([
    ['image/jpeg', JPEG, 1],
    ['image/png', PNG, 2],
  ] as const)('%s round-trips with imgType %i', (mime, image, imgType) => {
    const frame = encodePreview(image, mime);
    expect([u32(frame, 0), u32(frame, 4)]).toEqual([1, imgType]);
    expect(decodeBinaryFrame(frame)).toEqual({ kind: 'preview', mime, image });
    expect(decodeBinaryFrame(frame.buffer as ArrayBuffer)).toEqual({
      kind: 'preview',
      mime,
      image,
    });
  });

  it('treats unknown image types as JPEG, like the frontend', () => {
    const frame = encodePreview(JPEG, 'image/jpeg');
    new DataView(frame.buffer).setUint32(4, 7, false);
    expect(decodeBinaryFrame(frame)).toMatchObject({ kind: 'preview', mime: 'image/jpeg' });
  });
});

describe('type 4 PREVIEW_IMAGE_WITH_METADATA', () => {
  it('writes the metadata as Python json.dumps with image_type last', () => {
    const frame = encodePreviewWithMetadata(JPEG, meta);
    const len = u32(frame, 4);
    expect(u32(frame, 0)).toBe(4);
    expect(new TextDecoder().decode(frame.subarray(8, 8 + len))).toBe(
      `{"node_id": "3", "prompt_id": "${PROMPT}", "display_node_id": "3", "parent_node_id": null, "real_node_id": "3", "image_type": "image/jpeg"}`,
    );
    expect(frame.subarray(8 + len)).toEqual(JPEG);
  });

  it('round-trips, also from a Buffer view with a byte offset', () => {
    const frame = encodePreviewWithMetadata(PNG, { ...meta, image_type: 'image/png' });
    const padded = Buffer.concat([Buffer.from([7, 7, 7]), Buffer.from(frame)]).subarray(3);
    for (const input of [frame, padded]) {
      const decoded = decodeBinaryFrame(input);
      expect(decoded).toMatchObject({
        kind: 'preview_with_metadata',
        meta: { ...meta, image_type: 'image/png' },
      });
      // A Buffer in gives a Buffer view out (no copy); compare the bytes.
      expect(decoded.kind === 'preview_with_metadata' && Uint8Array.from(decoded.image)).toEqual(
        PNG,
      );
    }
  });

  it('sniffs the MIME when image_type is not given', () => {
    expect(sniffPreviewMime(PNG)).toBe('image/png');
    expect(sniffPreviewMime(JPEG)).toBe('image/jpeg');
    expect(decodeBinaryFrame(encodePreviewWithMetadata(PNG, meta))).toMatchObject({
      meta: { image_type: 'image/png' },
    });
  });

  it('converts to a legacy type 1 frame for clients without supports_preview_metadata', () => {
    const legacy = toLegacyPreview(encodePreviewWithMetadata(PNG, meta));
    expect(legacy).toEqual(encodePreview(PNG, 'image/png'));
    expect(toLegacyPreview(encodePreview(PNG, 'image/png'))).toBeNull();
  });

  it('reports a truncated or non-JSON metadata block as unknown', () => {
    const frame = encodePreviewWithMetadata(JPEG, meta);
    expect(decodeBinaryFrame(frame.subarray(0, 20))).toEqual({ kind: 'unknown', eventType: 4 });
    const broken = frame.slice();
    broken[8] = 0x7a; // '{' → 'z'
    expect(decodeBinaryFrame(broken)).toEqual({ kind: 'unknown', eventType: 4 });
  });
});

describe('type 3 progress text', () => {
  it('round-trips the short form', () => {
    const frame = encodeProgressText('12', 'Downloading… 40%');
    expect(u32(frame, 0)).toBe(3);
    expect(u32(frame, 4)).toBe(2);
    expect(decodeBinaryFrame(frame)).toEqual({
      kind: 'text',
      nodeId: '12',
      text: 'Downloading… 40%',
    });
  });

  it('round-trips the long form and detects it by the leading prompt id', () => {
    const frame = encodeProgressText('5:3', 'step 2', PROMPT);
    expect(decodeBinaryFrame(frame)).toEqual({
      kind: 'text',
      promptId: PROMPT,
      nodeId: '5:3',
      text: 'step 2',
    });
    expect(decodeBinaryFrame(frame, { progressTextWithPromptId: false })).toMatchObject({
      nodeId: PROMPT,
    });
  });

  it('honours an explicit short form even when the text looks like a length', () => {
    const frame = encodeProgressText('7', '\u0000\u0000\u0000\u0001x');
    expect(decodeBinaryFrame(frame, { progressTextWithPromptId: false })).toEqual({
      kind: 'text',
      nodeId: '7',
      text: '\u0000\u0000\u0000\u0001x',
    });
    expect(decodeBinaryFrame(frame)).toMatchObject({ kind: 'text', nodeId: '7' });
  });
});

describe('other frames', () => {
  it('returns unknown for other event types and short frames', () => {
    expect(decodeBinaryFrame(Uint8Array.from([0, 0, 0, 9, 1]))).toEqual({
      kind: 'unknown',
      eventType: 9,
    });
    expect(decodeBinaryFrame(Uint8Array.from([0, 0]))).toEqual({ kind: 'unknown', eventType: -1 });
    expect(decodeBinaryFrame(Uint8Array.from([0, 0, 0, 1]))).toEqual({
      kind: 'unknown',
      eventType: 1,
    });
  });
});
