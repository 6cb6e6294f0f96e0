/**
 * @fileoverview Output counting, preview selection and normalisation of the jobs API
 * (`get_outputs_summary`, `is_previewable`, `normalize_outputs` in comfy_execution/jobs.py, 0.27).
 */
import type { ComfyJobPreviewOutput } from './http-jobs';
import { pyStr } from './py-format';
import { isDict } from './py-values';

const PREVIEWABLE_MEDIA_TYPES = new Set(['images', 'video', 'audio', '3d', 'text']);
const THREE_D_EXTENSIONS = ['.obj', '.fbx', '.gltf', '.glb', '.usdz'];
const TEXT_PREVIEW_MAX_LENGTH = 1024;

const has3dExtension = (filename: string) =>
  THREE_D_EXTENSIONS.some((ext) => filename.toLowerCase().endsWith(ext));

/** `normalize_output_item`: dicts as they are, bare 3D filenames as file dicts, else null. */
function normalizeItem(item: unknown): Record<string, unknown> | null {
  if (typeof item === 'string') {
    return has3dExtension(item)
      ? { filename: item, type: 'output', subfolder: '', mediaType: '3d' }
      : null;
  }
  return isDict(item) ? item : null;
}

/** `is_previewable`: a media key, a video/audio `format`, or a 3D file extension. */
export function isPreviewable(mediaType: string, item: Record<string, unknown>): boolean {
  if (PREVIEWABLE_MEDIA_TYPES.has(mediaType)) return true;
  const fmt = item['format'];
  if (typeof fmt === 'string' && (fmt.startsWith('video/') || fmt.startsWith('audio/')))
    return true;
  const filename = item['filename'];
  return typeof filename === 'string' && has3dExtension(filename);
}

/** `_create_text_preview`: at most 1024 characters (code points, as Python counts). */
function textPreview(value: string): { content: string; truncated?: true } {
  const chars = [...value];
  if (chars.length <= TEXT_PREVIEW_MAX_LENGTH) return { content: value };
  return { content: chars.slice(0, TEXT_PREVIEW_MAX_LENGTH).join(''), truncated: true };
}

/**
 * `get_outputs_summary`: counts every dict item (and text strings, and bare 3D filenames) of
 * every output list except `animated`; the preview is the first previewable `type: "output"`
 * item, else the first previewable item of any type (text previews included).
 */
export function outputsSummary(outputs: Record<string, unknown>): {
  count: number;
  preview: ComfyJobPreviewOutput | null;
} {
  let count = 0;
  let preview: ComfyJobPreviewOutput | null = null;
  let fallback: ComfyJobPreviewOutput | null = null;
  for (const [nodeId, nodeOutputs] of Object.entries(outputs)) {
    if (!isDict(nodeOutputs)) continue;
    for (const [mediaType, items] of Object.entries(nodeOutputs)) {
      if (mediaType === 'animated' || !Array.isArray(items)) continue;
      for (const raw of items) {
        let item: Record<string, unknown>;
        if (!isDict(raw)) {
          const normalized = normalizeItem(raw);
          if (normalized === null) {
            if (mediaType === 'text') {
              count += 1;
              if (preview === null && fallback === null) {
                fallback = { ...textPreview(pyStr(raw)), nodeId, mediaType };
              }
            }
            continue;
          }
          item = normalized;
        } else {
          item = raw;
        }
        count += 1;
        if (preview !== null || !isPreviewable(mediaType, item)) continue;
        const enriched = { ...item, nodeId } as ComfyJobPreviewOutput;
        if (!('mediaType' in item)) enriched.mediaType = mediaType;
        if (item['type'] === 'output') preview = enriched;
        else fallback ??= enriched;
      }
    }
  }
  return { count, preview: preview ?? fallback };
}

/** `normalize_outputs`: drops null items and turns bare 3D filenames into file dicts. */
export function normalizeOutputs(outputs: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [nodeId, nodeOutputs] of Object.entries(outputs)) {
    if (!isDict(nodeOutputs)) {
      out[nodeId] = nodeOutputs;
      continue;
    }
    const node: Record<string, unknown> = {};
    for (const [mediaType, items] of Object.entries(nodeOutputs)) {
      if (mediaType === 'animated' || !Array.isArray(items)) {
        node[mediaType] = items;
        continue;
      }
      node[mediaType] = items
        .filter((i) => i !== null && i !== undefined)
        .map((i) => normalizeItem(i) ?? i);
    }
    out[nodeId] = node;
  }
  return out;
}
