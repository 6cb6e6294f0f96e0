/**
 * @fileoverview ComfyUI's queue and history routes for this user (both frontend generations):
 * GET /queue, GET /history[/{id}], GET /prompt, and the mutations POST /queue, POST /history,
 * POST /interrupt — which cancel or hide THIS user's relay jobs only and pass the rest on to the
 * local ComfyUI, as if one ComfyUI held both.
 */
import type { IncomingMessage } from 'node:http';
import { historyMax, parseHistoryQuery, publicQueue } from '../../../protocol/src/comfy/jobs';
import { isDict } from '../../../protocol/src/comfy/py-values';
import { malformedJsonResponse } from '../../../protocol/src/comfy/validate';
import type { LocalComfy } from '../comfy/local-comfy';
import type { StateStore } from '../state/state-store';
import { readJsonBody } from './body';
import type { JobControl } from './job-control';
import { empty, json, type Reply } from '../../../kit/aiohttp-reply';
import type { ViewSource } from './view-source';

type Deps = {
  view: ViewSource;
  local: LocalComfy;
  state: StateStore;
  control: JobControl;
  remoteRemaining: () => number;
  maxBodyBytes: number;
};

const query = (req: IncomingMessage) => new URL(req.url ?? '/', 'http://sidecar').searchParams;
const crash = (): Reply => {
  const r = malformedJsonResponse();
  return { status: r.status, text: r.body, contentType: r.contentType };
};
const ids = (list: unknown): string[] =>
  Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : [];

export function createQueueRoutes(deps: Deps) {
  const readMutation = async (req: IncomingMessage) => {
    const read = await readJsonBody(req, deps.maxBodyBytes);
    if (!read.ok) return { reply: read.reply };
    return { body: isDict(read.body) ? read.body : {} };
  };

  return {
    async getQueue(): Promise<Reply> {
      const view = await deps.view.load();
      return json(publicQueue(view.running, view.pending));
    },

    async getHistory(req: IncomingMessage): Promise<Reply> {
      const parsed = parseHistoryQuery(query(req));
      if (!parsed) return crash();
      const view = await deps.view.load();
      return json(historyMax(view.history, parsed.maxItems, parsed.offset));
    },

    async getHistoryItem(id: string): Promise<Reply> {
      const view = await deps.view.load();
      const entry = view.history[id];
      return json(entry ? { [id]: entry } : {});
    },

    /** The frontend's polling fallback when its WebSocket never opened. */
    async getPrompt(): Promise<Reply> {
      const local = await deps.local.getJson('/prompt');
      const localRemaining =
        isDict(local) &&
        isDict(local.exec_info) &&
        typeof local.exec_info.queue_remaining === 'number'
          ? local.exec_info.queue_remaining
          : 0;
      return json({ exec_info: { queue_remaining: localRemaining + deps.remoteRemaining() } });
    },

    /** `{delete:[ids]}` removes pending jobs, `{clear:true}` all pending ones; running jobs are not touched. */
    async postQueue(req: IncomingMessage): Promise<Reply> {
      const { body, reply } = await readMutation(req);
      if (reply) return reply;
      const forward: Record<string, unknown> = {};
      if (body.clear) {
        await deps.control.cancelPending();
        forward.clear = body.clear;
      }
      if ('delete' in body) {
        const { others } = await deps.control.cancelPending(ids(body.delete));
        forward.delete = others;
      }
      await deps.local.post('/queue', forward);
      return empty();
    },

    /** Hides this user's finished jobs (kept on the relay); the local ComfyUI deletes its own. */
    async postHistory(req: IncomingMessage): Promise<Reply> {
      const { body, reply } = await readMutation(req);
      if (reply) return reply;
      const forward: Record<string, unknown> = {};
      if (body.clear) {
        deps.state.clearHistory(Date.now());
        forward.clear = body.clear;
      }
      if ('delete' in body) {
        const { mine, others } = await deps.control.split(ids(body.delete));
        deps.state.hide(mine);
        forward.delete = others;
      }
      await deps.local.post('/history', forward);
      return empty();
    },

    /** With `prompt_id`: that job only (if it is running); without: this user's running job(s) and the local one. */
    async postInterrupt(req: IncomingMessage): Promise<Reply> {
      const { body, reply } = await readMutation(req);
      if (reply) return reply;
      const promptId = typeof body.prompt_id === 'string' ? body.prompt_id : undefined;
      if (promptId) {
        const { mine } = await deps.control.cancelRunning([promptId]);
        if (!mine.length) await deps.local.post('/interrupt', body);
        return empty();
      }
      await Promise.all([deps.control.cancelRunning(), deps.local.post('/interrupt', body)]);
      return empty();
    },
  };
}
