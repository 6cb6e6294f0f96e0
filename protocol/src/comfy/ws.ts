/**
 * @fileoverview ComfyUI WebSocket text frames (`{"type", "data"}`), comfyui-protocol.md §2.
 *
 * `ComfyWsMessageLoose` is for parsing at ComfyUI's edge (any type, extra keys kept).
 * `ComfyWsMessage` is the strict union of the core messages: use it on what we emit, so a
 * misspelt or missing field fails in our tests instead of silently in the browser.
 */
import { z } from 'zod';
import { pyJsonDumps } from './py-format';

/** Node ids on the wire are strings; subgraph nodes use `"parent:child"` paths. */
export const ComfyNodeId = z.string();
export const ComfyPromptId = z.string();

const int = z.number().int();

export const ComfyWsStatusData = z
  .object({
    status: z
      .object({ exec_info: z.object({ queue_remaining: int.nonnegative() }).strict() })
      .strict(),
    /** Only in the per-connection frame sent at connect time. */
    sid: z.string().optional(),
  })
  .strict();

/** Server reply to the client's first frame; open-ended (CLI `--feature-flag k=v` adds keys). */
export const ComfyWsFeatureFlagsData = z.record(z.string(), z.unknown());

const withTimestamp = { prompt_id: ComfyPromptId, timestamp: int };

export const ComfyWsExecutionStartData = z.object(withTimestamp).strict();
export const ComfyWsExecutionSuccessData = z.object(withTimestamp).strict();
export const ComfyWsExecutionCachedData = z
  .object({ nodes: z.array(ComfyNodeId), ...withTimestamp })
  .strict();

/**
 * `executing`: a running node (`node`, `display_node`, `prompt_id`), the end-of-prompt marker
 * (`node: null`, `prompt_id`), or the bare `{node}` ComfyUI sends to a reconnecting socket.
 */
export const ComfyWsExecutingData = z.union([
  z.object({ node: ComfyNodeId, display_node: ComfyNodeId, prompt_id: ComfyPromptId }).strict(),
  z.object({ node: z.null(), prompt_id: ComfyPromptId }).strict(),
  z.object({ node: ComfyNodeId }).strict(),
]);

export const ComfyWsProgressData = z
  .object({ value: int, max: int, prompt_id: ComfyPromptId, node: ComfyNodeId })
  .strict();

export const ComfyNodeProgressState = z
  .object({
    value: z.number(),
    max: z.number(),
    state: z.enum(['pending', 'running', 'finished', 'error']),
    node_id: ComfyNodeId,
    prompt_id: ComfyPromptId,
    display_node_id: ComfyNodeId,
    parent_node_id: ComfyNodeId.nullable(),
    real_node_id: ComfyNodeId,
  })
  .strict();
export type ComfyNodeProgressState = z.infer<typeof ComfyNodeProgressState>;

/** Cumulative: every node touched so far in the prompt (pending nodes omitted). */
export const ComfyWsProgressStateData = z
  .object({ prompt_id: ComfyPromptId, nodes: z.record(ComfyNodeId, ComfyNodeProgressState) })
  .strict();

/** A node's UI output (`{images:[...], animated?:[...], text?:[...], ...}`); open-ended. */
export const ComfyUiOutput = z.record(z.string(), z.unknown());

export const ComfyWsExecutedData = z
  .object({
    node: ComfyNodeId,
    display_node: ComfyNodeId,
    output: ComfyUiOutput.nullable(), // a cached output node whose UI was None
    prompt_id: ComfyPromptId,
    merge: z.boolean().optional(), // accepted by the frontend, never sent by core
  })
  .strict();

const nodeFailure = {
  prompt_id: ComfyPromptId,
  node_id: ComfyNodeId,
  node_type: z.string(),
  executed: z.array(ComfyNodeId),
};

export const ComfyWsExecutionErrorData = z
  .object({
    ...nodeFailure,
    exception_message: z.string(),
    exception_type: z.string(),
    traceback: z.array(z.string()),
    current_inputs: z.record(z.string(), z.unknown()),
    current_outputs: z.unknown(), // a list of node ids today, a dict in older ComfyUI
    timestamp: int,
  })
  .strict();

export const ComfyWsExecutionInterruptedData = z
  .object({ ...nodeFailure, timestamp: int })
  .strict();

export const ComfyWsLogsData = z
  .object({
    entries: z.array(z.object({ t: z.string(), m: z.string() }).strict()),
    size: z.object({ cols: int, rows: int }).strict(),
  })
  .strict();

export const ComfyWsNotificationData = z
  .object({ value: z.string(), id: ComfyPromptId.optional() })
  .strict();

const msg = <T extends string, D extends z.ZodTypeAny>(type: T, data: D) =>
  z.object({ type: z.literal(type), data }).strict();

export const ComfyWsMessage = z.discriminatedUnion('type', [
  msg('status', ComfyWsStatusData),
  msg('feature_flags', ComfyWsFeatureFlagsData),
  msg('execution_start', ComfyWsExecutionStartData),
  msg('execution_cached', ComfyWsExecutionCachedData),
  msg('executing', ComfyWsExecutingData),
  msg('progress', ComfyWsProgressData),
  msg('progress_state', ComfyWsProgressStateData),
  msg('executed', ComfyWsExecutedData),
  msg('execution_success', ComfyWsExecutionSuccessData),
  msg('execution_error', ComfyWsExecutionErrorData),
  msg('execution_interrupted', ComfyWsExecutionInterruptedData),
  msg('logs', ComfyWsLogsData),
  msg('notification', ComfyWsNotificationData),
]);
export type ComfyWsMessage = z.infer<typeof ComfyWsMessage>;
export type ComfyWsMessageType = ComfyWsMessage['type'];
/** `data` of the strict message of that type, e.g. `ComfyWsData<'executed'>`. */
export type ComfyWsData<T extends ComfyWsMessageType> = Extract<
  ComfyWsMessage,
  { type: T }
>['data'];

/** Any frame ComfyUI (or a custom node) may send: unknown types and extra keys are kept. */
export const ComfyWsMessageLoose = z.object({ type: z.string(), data: z.unknown() }).passthrough();
export type ComfyWsMessageLoose = z.infer<typeof ComfyWsMessageLoose>;

/** Client → server: only the first text frame is honoured, and only `feature_flags`. */
export const ComfyClientFeatureFlags = z
  .object({
    supports_preview_metadata: z.boolean().optional(),
    supports_manager_v4_ui: z.boolean().optional(),
    supports_progress_text_metadata: z.boolean().optional(),
  })
  .passthrough();
export const ComfyWsClientMessage = z
  .object({ type: z.literal('feature_flags'), data: ComfyClientFeatureFlags })
  .strict();
export type ComfyWsClientMessage = z.infer<typeof ComfyWsClientMessage>;

/** Parses a text frame loosely; `null` when it is not JSON or not `{type, data}`. */
export function parseComfyWsText(text: string): ComfyWsMessageLoose | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = ComfyWsMessageLoose.safeParse(json);
  return parsed.success ? parsed.data : null;
}

/**
 * Checks a message strictly and serialises it exactly as aiohttp's `send_json` (Python
 * `json.dumps`) does. Throws (ZodError) on a malformed message: emitting one is our bug.
 */
export function encodeComfyWsText<T extends ComfyWsMessageType>(
  type: T,
  data: ComfyWsData<T>,
): string {
  const checked = ComfyWsMessage.parse({ type, data });
  // Integral floats (progress_state's 0.0/1.0) come out as 0/1: JSON.parse already lost them.
  return pyJsonDumps({ type: checked.type, data });
}
