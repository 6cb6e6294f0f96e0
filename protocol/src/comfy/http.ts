/**
 * @fileoverview ComfyUI HTTP bodies (comfyui-protocol.md §1, §3): POST /prompt, /queue, /history,
 * system_stats, features, object_info, uploads. Jobs API shapes live in http-jobs.ts.
 *
 * Requests and ComfyUI's own answers are parsed loosely (`.passthrough()`); error and answer
 * bodies we build ourselves are strict, so our own mistakes surface in tests.
 */
import { z } from 'zod';
import { ComfyNodeId, ComfyPromptId, ComfyUiOutput } from './ws';

export * from './http-jobs';

// ── API prompt ──────────────────────────────────────────────────────────────────────────────────

/** One API-format node: `inputs` values are literals or links `[sourceNodeId, outputSlot]`. */
export const ComfyApiNode = z
  .object({
    inputs: z.record(z.string(), z.unknown()),
    class_type: z.string(),
    _meta: z.object({ title: z.string().optional() }).passthrough().optional(),
  })
  .passthrough();
export type ComfyApiNode = z.infer<typeof ComfyApiNode>;

export const ComfyApiPrompt = z.record(ComfyNodeId, ComfyApiNode);
export type ComfyApiPrompt = z.infer<typeof ComfyApiPrompt>;

/** `extra_data` as ComfyUI stores it in the queue item (client_id and create_time added by it). */
export const ComfyExtraData = z
  .object({
    client_id: z.string().optional(),
    create_time: z.number().int().optional(),
    extra_pnginfo: z
      .object({ workflow: z.record(z.string(), z.unknown()).optional() })
      .passthrough()
      .optional(),
    preview_method: z.string().optional(),
    comfy_usage_source: z.string().optional(),
  })
  .passthrough();
export type ComfyExtraData = z.infer<typeof ComfyExtraData>;

// ── POST /prompt ────────────────────────────────────────────────────────────────────────────────

/** The request body, loosely: ComfyUI itself checks `prompt` (see validate.ts). */
export const ComfyPostPromptRequest = z
  .object({
    prompt: z.unknown().optional(),
    client_id: z.string().optional(),
    prompt_id: z.string().nullable().optional(),
    partial_execution_targets: z.array(ComfyNodeId).nullable().optional(),
    extra_data: z.record(z.string(), z.unknown()).optional(),
    front: z.unknown().optional(),
    number: z.unknown().optional(),
  })
  .passthrough();
export type ComfyPostPromptRequest = z.infer<typeof ComfyPostPromptRequest>;

/** One validation error, prompt-level (`error`) or per node (`node_errors[id].errors[]`). */
export const ComfyPromptError = z
  .object({
    type: z.string(),
    message: z.string(),
    details: z.string(),
    extra_info: z.record(z.string(), z.unknown()),
  })
  .strict();
export type ComfyPromptError = z.infer<typeof ComfyPromptError>;

export const ComfyNodeError = z
  .object({
    errors: z.array(ComfyPromptError),
    dependent_outputs: z.array(ComfyNodeId),
    class_type: z.string(),
  })
  .strict();
export type ComfyNodeError = z.infer<typeof ComfyNodeError>;
/** Alias used by validate.ts signatures. */
export type NodeError = ComfyNodeError;

export const ComfyNodeErrors = z.record(ComfyNodeId, ComfyNodeError);

/** 200 answer; `node_errors` is non-empty on partial success. `number` may be a float. */
export const ComfyPostPromptResponse = z
  .object({ prompt_id: ComfyPromptId, number: z.number(), node_errors: ComfyNodeErrors })
  .strict();
export type ComfyPostPromptResponse = z.infer<typeof ComfyPostPromptResponse>;

/** 400 answer: `{error:{type,message,details,extra_info}, node_errors}`. */
export const ComfyPromptErrorBody = z
  .object({ error: ComfyPromptError, node_errors: ComfyNodeErrors })
  .strict();
export type ComfyPromptErrorBody = z.infer<typeof ComfyPromptErrorBody>;
export type PromptErrorBody = ComfyPromptErrorBody;

/** GET /prompt (the frontend's polling fallback). */
export const ComfyPromptInfo = z
  .object({ exec_info: z.object({ queue_remaining: z.number().int().nonnegative() }).strict() })
  .strict();

// ── Queue ───────────────────────────────────────────────────────────────────────────────────────

/** `[number, prompt_id, prompt, extra_data, outputs_to_execute]` as /queue and /history serve it. */
export const ComfyQueueItem = z.tuple([
  z.number(),
  ComfyPromptId,
  z.record(ComfyNodeId, z.unknown()),
  ComfyExtraData,
  z.array(ComfyNodeId),
]);
export type ComfyQueueItem = z.infer<typeof ComfyQueueItem>;

/** ComfyUI's internal 6-tuple (≥ 0.3.68): the 6th element holds comfy.org tokens, never served. */
export const ComfyQueueItemInternal = z.tuple([
  z.number(),
  ComfyPromptId,
  z.record(ComfyNodeId, z.unknown()),
  ComfyExtraData,
  z.array(ComfyNodeId),
  z.record(z.string(), z.unknown()),
]);
export type ComfyQueueItemInternal = z.infer<typeof ComfyQueueItemInternal>;

/** Either tuple length, as found in the wild. */
export const ComfyAnyQueueItem = z.union([ComfyQueueItem, ComfyQueueItemInternal]);
export type ComfyAnyQueueItem = z.infer<typeof ComfyAnyQueueItem>;

/** Strips the sensitive 6th element (server.py `_remove_sensitive_from_queue`). */
export function toPublicQueueItem(item: ComfyAnyQueueItem): ComfyQueueItem {
  return [item[0], item[1], item[2], item[3], item[4]];
}

/** GET /queue. `queue_pending` is ComfyUI's raw heap array: not sorted. */
export const ComfyQueueResponse = z
  .object({ queue_running: z.array(ComfyQueueItem), queue_pending: z.array(ComfyQueueItem) })
  .strict();
export type ComfyQueueResponse = z.infer<typeof ComfyQueueResponse>;

/** POST /queue and POST /history: `{clear?: true, delete?: [ids]}`. */
export const ComfyQueueMutation = z
  .object({ clear: z.unknown().optional(), delete: z.array(z.unknown()).optional() })
  .passthrough();

// ── History ─────────────────────────────────────────────────────────────────────────────────────

/** `[event, payload]` pairs kept in `status.messages` (start, cached, success|error|interrupted). */
export const ComfyHistoryStatusMessage = z.tuple([z.string(), z.record(z.string(), z.unknown())]);
export type ComfyHistoryStatusMessage = z.infer<typeof ComfyHistoryStatusMessage>;

export const ComfyHistoryStatus = z
  .object({
    status_str: z.enum(['success', 'error']),
    completed: z.boolean(),
    messages: z.array(ComfyHistoryStatusMessage),
  })
  .strict();
export type ComfyHistoryStatus = z.infer<typeof ComfyHistoryStatus>;

export const ComfyNodeOutputMeta = z
  .object({
    node_id: ComfyNodeId,
    display_node: ComfyNodeId,
    parent_node: ComfyNodeId.nullable(),
    real_node_id: ComfyNodeId,
  })
  .passthrough();

export const ComfyHistoryEntry = z
  .object({
    prompt: ComfyQueueItem,
    /** Only nodes that returned UI (cached ones included). */
    outputs: z.record(ComfyNodeId, ComfyUiOutput),
    status: ComfyHistoryStatus.nullable(),
    meta: z.record(ComfyNodeId, ComfyNodeOutputMeta).optional(),
  })
  .passthrough();
export type ComfyHistoryEntry = z.infer<typeof ComfyHistoryEntry>;

/** GET /history and GET /history/{id} (`{}` when unknown): insertion (completion) order. */
export const ComfyHistoryMap = z.record(ComfyPromptId, ComfyHistoryEntry);
export type ComfyHistoryMap = z.infer<typeof ComfyHistoryMap>;

// ── Output files ────────────────────────────────────────────────────────────────────────────────

export const ComfyFileType = z.enum(['input', 'output', 'temp']);
export type ComfyFileType = z.infer<typeof ComfyFileType>;

/** A file in a UI output (`images[]`, `audio[]`, ...). */
export const ComfyResultItem = z
  .object({ filename: z.string(), subfolder: z.string(), type: ComfyFileType })
  .passthrough();
export type ComfyResultItem = z.infer<typeof ComfyResultItem>;

/** POST /upload/image and /upload/mask (`asset` only with --enable-assets). */
export const ComfyUploadResponse = z
  .object({
    name: z.string(),
    subfolder: z.string(),
    type: ComfyFileType,
    asset: z.unknown().optional(),
  })
  .strict();
export type ComfyUploadResponse = z.infer<typeof ComfyUploadResponse>;

// ── Server info ─────────────────────────────────────────────────────────────────────────────────

export const ComfySystemStats = z
  .object({
    system: z
      .object({
        os: z.string(),
        ram_total: z.number(),
        ram_free: z.number(),
        comfyui_version: z.string(),
        required_frontend_version: z.string().optional(),
        installed_templates_version: z.string().nullable().optional(),
        required_templates_version: z.string().nullable().optional(),
        comfy_package_versions: z.array(z.record(z.string(), z.unknown())).optional(),
        python_version: z.string(),
        pytorch_version: z.string(),
        embedded_python: z.boolean(),
        deploy_environment: z.string().optional(),
        argv: z.array(z.string()),
      })
      .passthrough(),
    devices: z.array(
      z
        .object({
          name: z.string(),
          type: z.string(),
          index: z.number().nullable(),
          vram_total: z.number(),
          vram_free: z.number(),
          torch_vram_total: z.number(),
          torch_vram_free: z.number(),
        })
        .passthrough(),
    ),
  })
  .passthrough();
export type ComfySystemStats = z.infer<typeof ComfySystemStats>;

/** GET /features and the WS `feature_flags` reply (`node_replacements`, `assets` since ~0.12). */
export const ComfyServerFeatureFlags = z
  .object({
    supports_preview_metadata: z.boolean(),
    max_upload_size: z.number(),
    extension: z
      .object({ manager: z.object({ supports_v4: z.boolean() }).passthrough() })
      .passthrough(),
    node_replacements: z.boolean().optional(),
    assets: z.boolean().optional(),
  })
  .passthrough();
export type ComfyServerFeatureFlags = z.infer<typeof ComfyServerFeatureFlags>;

/** `[type, options]` or `[type]`; `type` is a string (`"INT"`, `"COMBO"`) or a combo value list. */
export const ComfyInputSpec = z.union([
  z.tuple([z.union([z.string(), z.array(z.unknown())])]),
  z.tuple([z.union([z.string(), z.array(z.unknown())]), z.record(z.string(), z.unknown())]),
]);
export type ComfyInputSpec = z.infer<typeof ComfyInputSpec>;

/** One `/object_info` entry (passthrough: newer ComfyUI keeps adding keys). */
export const ComfyNodeDef = z
  .object({
    input: z
      .object({
        required: z.record(z.string(), ComfyInputSpec).optional(),
        optional: z.record(z.string(), ComfyInputSpec).optional(),
        hidden: z.record(z.string(), z.unknown()).optional(),
      })
      .passthrough(),
    input_order: z.record(z.string(), z.array(z.string())).optional(),
    output: z.array(z.union([z.string(), z.array(z.unknown())])),
    output_is_list: z.array(z.boolean().nullable()).optional(), // V3 nodes may send null entries
    output_name: z.array(z.string()).optional(),
    name: z.string(),
    display_name: z.string().nullable().optional(), // null for many V3 nodes
    category: z.string().optional(),
    output_node: z.boolean(),
  })
  .passthrough();
export type ComfyNodeDef = z.infer<typeof ComfyNodeDef>;
export type NodeDef = ComfyNodeDef;

export const ComfyObjectInfo = z.record(z.string(), ComfyNodeDef);
export type ComfyObjectInfo = z.infer<typeof ComfyObjectInfo>;

/** GET /embeddings, /extensions, /models, /models/{folder}. */
export const ComfyStringList = z.array(z.string());
