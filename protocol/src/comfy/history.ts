/**
 * @fileoverview `/history` and `/queue` answers as ComfyUI builds them (PromptQueue.get_history,
 * server.py get_history / get_queue).
 */
import {
  type ComfyAnyQueueItem,
  type ComfyHistoryEntry,
  type ComfyHistoryMap,
  type ComfyQueueResponse,
  toPublicQueueItem,
} from './http';
import { pyIntText, type QueryParams } from './jobs-list';

/** `PromptQueue.get_history(max_items, offset)`: offset −1 (default) means "the last max_items". */
export function historyMax(
  entries: ComfyHistoryMap,
  maxItems?: number | null,
  offset?: number | null,
): ComfyHistoryMap {
  const keys = Object.keys(entries);
  let from = offset ?? -1;
  const max = maxItems ?? null;
  if (from < 0 && max !== null) from = keys.length - max;
  const out: ComfyHistoryMap = {};
  let taken = 0;
  for (const [i, k] of keys.entries()) {
    if (i < from) continue;
    out[k] = entries[k] as ComfyHistoryEntry;
    taken += 1;
    if (max !== null && taken >= max) break;
  }
  return out;
}

/** GET /history query (`max_items`, `offset`); `null` where ComfyUI's int() raises (HTTP 500). */
export function parseHistoryQuery(
  params: QueryParams,
): { maxItems: number | null; offset: number } | null {
  const q = params instanceof URLSearchParams ? params : new URLSearchParams(params);
  const maxText = q.get('max_items');
  const offsetText = q.get('offset');
  const maxItems = maxText === null ? null : pyIntText(maxText);
  const offset = offsetText === null ? -1 : pyIntText(offsetText);
  if ((maxText !== null && maxItems === null) || offset === null) return null;
  return { maxItems, offset };
}

/** GET /queue: 5-tuples (sensitive 6th element stripped), pending in the order given. */
export function publicQueue(
  running: ComfyAnyQueueItem[],
  pending: ComfyAnyQueueItem[],
): ComfyQueueResponse {
  return {
    queue_running: running.map(toPublicQueueItem),
    queue_pending: pending.map(toPublicQueueItem),
  };
}
