/**
 * @fileoverview ComfyUI's progress hook (main.py hijack_progress) as the simulator sends it:
 * progress_state, a type-4 preview with metadata to clients that asked for it, `progress`, then a
 * type-1 preview to the others; previews are JPEG at quality 95, at most 512 px, as ComfyUI's.
 */
import jpeg from 'jpeg-js';
import { encodePreview, encodePreviewWithMetadata } from '../../../protocol/src/comfy/ws-binary';
import { toRgba8, type Image } from '../images/image';
import { scale } from '../images/ops';
import type { WsHub } from '../server/ws-hub';
import type { ProgressRegistry } from './progress';

export type ProgressStep = {
  promptId: string;
  nodeId: string;
  value: number;
  max: number;
  progress: ProgressRegistry;
};

/** Latent preview as ComfyUI sends it: JPEG, quality 95, at most 512 px. */
function encodeJpegPreview(image: Image): Uint8Array {
  let img = image;
  const longest = Math.max(img.width, img.height);
  if (longest > 512)
    img = scale(
      img,
      Math.round((img.width * 512) / longest),
      Math.round((img.height * 512) / longest),
      'bilinear',
    );
  return jpeg.encode({ data: toRgba8(img), width: img.width, height: img.height }, 95).data;
}

/** One step's messages to the prompt's client (the interrupt check is the caller's, as in ComfyUI). */
export function sendProgress(
  hub: WsHub,
  clientId: string | null,
  step: ProgressStep,
  preview: Image | undefined,
): void {
  const { promptId, nodeId, value, max } = step;
  step.progress.update(nodeId, value, max);
  const jpegBytes = preview ? encodeJpegPreview(preview) : undefined;
  const metadataClient = hub.supports(clientId, 'supports_preview_metadata');
  if (jpegBytes && metadataClient) {
    hub.sendBinary(
      Buffer.from(
        encodePreviewWithMetadata(jpegBytes, {
          node_id: nodeId,
          prompt_id: promptId,
          display_node_id: nodeId,
          parent_node_id: null,
          real_node_id: nodeId,
          image_type: 'image/jpeg',
        }),
      ),
      clientId,
    );
  }
  hub.send('progress', { value, max, prompt_id: promptId, node: nodeId }, clientId);
  if (jpegBytes && !metadataClient)
    hub.sendBinary(Buffer.from(encodePreview(jpegBytes, 'image/jpeg')), clientId);
}
