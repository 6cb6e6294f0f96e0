/**
 * @fileoverview Text frames a page sends on its ComfyUI socket: ComfyUI's own (the first one is the
 * page's feature_flags; ComfyUI ignores the rest) and ours (`comfyume.*`, never forwarded to
 * ComfyUI). A hello that is not exactly `ComfyumeHello` — wrong shape, or huge — is not a hello.
 */
import { ComfyumeHello } from '../../../protocol/src/relay/events';

/** A real hello is a few dozen bytes; anything much larger is junk, not worth parsing. */
const MAX_HELLO_BYTES = 1_024;

export type ClientFrame =
  | { kind: 'ours'; hello: true }
  | { kind: 'ours'; hello: false; reason: string }
  | { kind: 'comfy'; supportsPreviewMetadata: boolean };

export function readClientFrame(bytes: Buffer): ClientFrame {
  const text = bytes.toString('utf8');
  // A frame naming one of our types anywhere is ours: forwarded first, it would make ComfyUI ignore the page's flags.
  if (!text.includes('"comfyume.')) {
    let json: { type?: unknown; data?: { supports_preview_metadata?: unknown } } | undefined;
    try {
      json = JSON.parse(text) as typeof json;
    } catch {
      json = undefined;
    }
    return {
      kind: 'comfy',
      supportsPreviewMetadata:
        json?.type === 'feature_flags' && json.data?.supports_preview_metadata === true,
    };
  }
  if (bytes.length > MAX_HELLO_BYTES)
    return { kind: 'ours', hello: false, reason: `${bytes.length} bytes` };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: 'ours', hello: false, reason: 'not JSON' };
  }
  const parsed = ComfyumeHello.safeParse(json);
  return parsed.success
    ? { kind: 'ours', hello: true }
    : { kind: 'ours', hello: false, reason: parsed.error.issues[0]?.message ?? 'wrong shape' };
}
