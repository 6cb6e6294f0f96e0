/** @fileoverview Shapes the engine passes around (API prompt, queue tuple, history entry). */

export type PromptNode = {
  class_type: string;
  inputs: Record<string, unknown>;
  _meta?: { title?: string };
};
export type ApiPrompt = Record<string, PromptNode>;
export type ExtraData = Record<string, unknown> & {
  client_id?: string;
  create_time?: number;
  extra_pnginfo?: Record<string, unknown>;
};

/** `(number, prompt_id, prompt, extra_data, outputs_to_execute, sensitive)` as in ComfyUI's PromptQueue. */
export type QueueItem = [number, string, ApiPrompt, ExtraData, string[], Record<string, unknown>];
/** What /queue and /history show: the item without its sensitive 6th element. */
export type PublicQueueItem = [number, string, ApiPrompt, ExtraData, string[]];

export type StatusMessage = [string, Record<string, unknown>];
export type ExecutionStatus = {
  status_str: 'success' | 'error';
  completed: boolean;
  messages: StatusMessage[];
};
export type NodeMeta = {
  node_id: string;
  display_node: string;
  parent_node: string | null;
  real_node_id: string;
};
export type UiOutput = Record<string, unknown[]>;

export type HistoryEntry = {
  prompt: PublicQueueItem;
  outputs: Record<string, UiOutput>;
  status: ExecutionStatus | null;
  meta: Record<string, NodeMeta>;
};

export type HistoryResult = { outputs: Record<string, UiOutput>; meta: Record<string, NodeMeta> };

export const isLink = (value: unknown): value is [string, number] =>
  Array.isArray(value) &&
  value.length === 2 &&
  typeof value[0] === 'string' &&
  typeof value[1] === 'number';
