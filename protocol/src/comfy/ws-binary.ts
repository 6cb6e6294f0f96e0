/**
 * @fileoverview ComfyUI binary WebSocket frames (comfyui-protocol.md §2.6), browser-safe:
 * Uint8Array/ArrayBuffer in and out (a Node Buffer is a Uint8Array), all integers uint32 BE.
 *
 *   1 PREVIEW_IMAGE                 [1][imgType 1=jpeg 2=png][image]
 *   3 TEXT (progress_text)          [3][len][node_id][text]  or, long form, [3][len][prompt_id][len][node_id][text]
 *   4 PREVIEW_IMAGE_WITH_METADATA   [4][N][N bytes JSON metadata][image]
 */
import { pyJsonDumps } from './py-format';

export const BinaryEventType = {
  PREVIEW_IMAGE: 1,
  /** Internal to ComfyUI (PIL image handed to the sender); never on the wire. */
  UNENCODED_PREVIEW_IMAGE: 2,
  TEXT: 3,
  PREVIEW_IMAGE_WITH_METADATA: 4,
} as const;

export type PreviewMime = 'image/jpeg' | 'image/png';

/** Type-4 metadata, in the key order ComfyUI's progress handler builds it. */
export interface PreviewMetadata {
  node_id: string;
  prompt_id: string;
  display_node_id: string;
  parent_node_id: string | null;
  real_node_id: string;
  image_type: PreviewMime;
  [key: string]: unknown;
}

/** Metadata as given to the encoder: `image_type` defaults to what the bytes are. */
export type PreviewMetadataInput = Omit<PreviewMetadata, 'image_type'> & {
  image_type?: PreviewMime;
};

export type DecodedBinaryFrame =
  | { kind: 'preview'; mime: PreviewMime; image: Uint8Array }
  | { kind: 'preview_with_metadata'; meta: PreviewMetadata; image: Uint8Array }
  | { kind: 'text'; nodeId: string; promptId?: string; text: string }
  | { kind: 'unknown'; eventType: number };

export interface DecodeOptions {
  /**
   * Whether type-3 frames carry the prompt id (the long form, used when the server announced
   * `supports_progress_text_metadata`). Left undefined, a leading canonical UUID decides.
   */
  progressTextWithPromptId?: boolean;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n, false);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function asBytes(frame: Uint8Array | ArrayBuffer): Uint8Array {
  return frame instanceof Uint8Array ? frame : new Uint8Array(frame);
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Guesses the MIME from magic bytes (PNG signature, else JPEG as ComfyUI's default). */
export function sniffPreviewMime(image: Uint8Array): PreviewMime {
  const png = [0x89, 0x50, 0x4e, 0x47];
  return png.every((b, i) => image[i] === b) ? 'image/png' : 'image/jpeg';
}

/** Type 1, for clients that did not announce `supports_preview_metadata`. */
export function encodePreview(image: Uint8Array, mime: PreviewMime): Uint8Array {
  return concat([u32(BinaryEventType.PREVIEW_IMAGE), u32(mime === 'image/png' ? 2 : 1), image]);
}

/** Type 4; metadata JSON is serialised as Python's `json.dumps` does, `image_type` last. */
export function encodePreviewWithMetadata(
  image: Uint8Array,
  meta: PreviewMetadataInput,
): Uint8Array {
  const { image_type, ...rest } = meta;
  const json = encoder.encode(
    pyJsonDumps({ ...rest, image_type: image_type ?? sniffPreviewMime(image) }),
  );
  return concat([u32(BinaryEventType.PREVIEW_IMAGE_WITH_METADATA), u32(json.length), json, image]);
}

/** Type 3; the long form (with prompt id) only when `promptId` is given. */
export function encodeProgressText(nodeId: string, text: string, promptId?: string): Uint8Array {
  const node = encoder.encode(nodeId);
  const parts = [u32(BinaryEventType.TEXT)];
  if (promptId !== undefined) {
    const prompt = encoder.encode(promptId);
    parts.push(u32(prompt.length), prompt);
  }
  parts.push(u32(node.length), node, encoder.encode(text));
  return concat(parts);
}

/** Reads `[len][bytes]` at `at`; null when it runs past the end. */
function readString(bytes: Uint8Array, at: number): { value: string; next: number } | null {
  if (at + 4 > bytes.length) return null;
  const len = view(bytes).getUint32(at, false);
  const end = at + 4 + len;
  if (end > bytes.length) return null;
  return { value: decoder.decode(bytes.subarray(at + 4, end)), next: end };
}

function decodeText(bytes: Uint8Array, opts: DecodeOptions): DecodedBinaryFrame {
  const first = readString(bytes, 4);
  if (!first) return { kind: 'unknown', eventType: BinaryEventType.TEXT };
  const second = readString(bytes, first.next);
  const long = opts.progressTextWithPromptId ?? (UUID.test(first.value) && second !== null);
  if (long) {
    if (!second) return { kind: 'unknown', eventType: BinaryEventType.TEXT };
    const text = decoder.decode(bytes.subarray(second.next));
    return { kind: 'text', promptId: first.value, nodeId: second.value, text };
  }
  return { kind: 'text', nodeId: first.value, text: decoder.decode(bytes.subarray(first.next)) };
}

function decodeWithMetadata(bytes: Uint8Array): DecodedBinaryFrame {
  const unknown = {
    kind: 'unknown',
    eventType: BinaryEventType.PREVIEW_IMAGE_WITH_METADATA,
  } as const;
  if (bytes.length < 8) return unknown;
  const len = view(bytes).getUint32(4, false);
  if (8 + len > bytes.length) return unknown;
  let meta: unknown;
  try {
    meta = JSON.parse(decoder.decode(bytes.subarray(8, 8 + len)));
  } catch {
    return unknown;
  }
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) return unknown;
  return {
    kind: 'preview_with_metadata',
    meta: meta as PreviewMetadata,
    image: bytes.subarray(8 + len),
  };
}

/** Decodes any binary frame; never throws (malformed or unknown frames come back as `unknown`). */
export function decodeBinaryFrame(
  frame: Uint8Array | ArrayBuffer,
  opts: DecodeOptions = {},
): DecodedBinaryFrame {
  const bytes = asBytes(frame);
  if (bytes.length < 4) return { kind: 'unknown', eventType: -1 };
  const eventType = view(bytes).getUint32(0, false);
  switch (eventType) {
    case BinaryEventType.PREVIEW_IMAGE: {
      if (bytes.length < 8) return { kind: 'unknown', eventType };
      // As the frontend does: 2 is PNG, anything else is treated as JPEG.
      const mime: PreviewMime = view(bytes).getUint32(4, false) === 2 ? 'image/png' : 'image/jpeg';
      return { kind: 'preview', mime, image: bytes.subarray(8) };
    }
    case BinaryEventType.TEXT:
      return decodeText(bytes, opts);
    case BinaryEventType.PREVIEW_IMAGE_WITH_METADATA:
      return decodeWithMetadata(bytes);
    default:
      return { kind: 'unknown', eventType };
  }
}

/**
 * Type 4 → type 1, for sockets whose client did not announce `supports_preview_metadata`
 * (ComfyUI itself sends those clients type 1 only). `null` if the frame is not a valid type 4.
 */
export function toLegacyPreview(type4Frame: Uint8Array | ArrayBuffer): Uint8Array | null {
  const decoded = decodeBinaryFrame(type4Frame);
  if (decoded.kind !== 'preview_with_metadata') return null;
  const declared = decoded.meta.image_type;
  const mime =
    declared === 'image/png' || declared === 'image/jpeg'
      ? declared
      : sniffPreviewMime(decoded.image);
  return encodePreview(decoded.image, mime);
}
