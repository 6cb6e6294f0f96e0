/** @fileoverview GET /history (max_items, offset), GET /history/{id}, POST /history {clear, delete}. */
import { parseHistoryQuery } from '../../../../protocol/src/comfy/history';
import type { ReplicaContext } from '../../context';
import { AIOHTTP_500, type Ctx } from '../http-kit';
import { empty, json, type Reply } from '../../../../kit/aiohttp-reply';

export function getHistory(ctx: ReplicaContext, http: Ctx): Reply {
  const query = parseHistoryQuery(http.url.searchParams);
  // ComfyUI's int() raises on a bad max_items/offset, which aiohttp turns into a 500.
  if (!query) return AIOHTTP_500;
  return json(
    ctx.queue.getHistory({ maxItems: query.maxItems ?? undefined, offset: query.offset }),
  );
}

export function getHistoryItem(ctx: ReplicaContext, http: Ctx): Reply {
  return json(ctx.queue.getHistory({ promptId: http.params.id }));
}

export async function postHistory(ctx: ReplicaContext, http: Ctx): Promise<Reply> {
  const body = (await http.json()) as { clear?: unknown; delete?: unknown };
  if (body && typeof body === 'object' && 'clear' in body && body.clear) ctx.queue.wipeHistory();
  if (body && typeof body === 'object' && Array.isArray(body.delete))
    for (const id of body.delete) ctx.queue.deleteHistoryItem(String(id));
  return empty();
}
