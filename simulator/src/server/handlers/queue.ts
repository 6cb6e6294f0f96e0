/** @fileoverview GET/POST /queue, POST /interrupt, POST /free (ComfyUI server.py semantics). */
import type { ReplicaContext } from '../../context';
import { type Ctx } from '../http-kit';
import { empty, json, type Reply } from '../../../../kit/aiohttp-reply';

export function getQueue(ctx: ReplicaContext): Reply {
  const [running, pending] = ctx.queue.currentQueue();
  return json({ queue_running: running, queue_pending: pending });
}

export async function postQueue(ctx: ReplicaContext, http: Ctx): Promise<Reply> {
  const body = (await http.json()) as { clear?: unknown; delete?: unknown };
  if (body && typeof body === 'object' && 'clear' in body && body.clear) ctx.queue.wipeQueue();
  if (body && typeof body === 'object' && Array.isArray(body.delete)) {
    for (const id of body.delete) ctx.queue.deleteQueueItem((item) => item[1] === id);
  }
  return empty();
}

/** With `prompt_id`: interrupt only if that prompt is the running one; without: global interrupt. */
export async function postInterrupt(ctx: ReplicaContext, http: Ctx): Promise<Reply> {
  let body: unknown = {};
  try {
    body = await http.json();
  } catch {
    body = {};
  }
  const promptId =
    body && typeof body === 'object' ? (body as { prompt_id?: unknown }).prompt_id : undefined;
  if (promptId) {
    if (ctx.queue.runningItems().some((item) => item[1] === promptId)) ctx.executor.interrupt();
  } else ctx.executor.interrupt();
  return empty();
}

export async function postFree(ctx: ReplicaContext, http: Ctx): Promise<Reply> {
  const body = (await http.json()) as { unload_models?: unknown; free_memory?: unknown };
  if (body?.unload_models || body?.free_memory) ctx.executor.cache.clear();
  return empty();
}

export function getPromptInfo(ctx: ReplicaContext): Reply {
  return json({ exec_info: { queue_remaining: ctx.queue.tasksRemaining() } });
}
