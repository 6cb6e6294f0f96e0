/**
 * @fileoverview A scripted stand-in for an attendee's sidecar, for tests that must drive the
 * browser through exact phases: a real HTTP + WebSocket server on 127.0.0.1:0 that speaks the
 * ComfyUI handshake (status with sid, feature_flags reply), serves recorded `/object_info`
 * entries, records every request, answers `POST /prompt` in ComfyUI's shape, serves `/api/jobs`
 * from lists the test sets, serves a PNG at `/view`, and lets the test push any WS frame
 * (`comfyume.job`, `comfyume.relay`, native ComfyUI messages) to the browser tabs.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { PNG } from 'pngjs';
import { WebSocketServer, WebSocket } from 'ws';

const fixtures = path.resolve(
  import.meta.dirname,
  '../../../../shared/fixtures/comfyui/real-0.27.0',
);
const NODE_TYPES = [
  'EmptyImage',
  'ImageInvert',
  'SaveImage',
  'PreviewImage',
  'KSampler',
  'CheckpointLoaderSimple',
];

export type Recorded = { method: string; path: string; body: unknown };
export type JobsLists = { active: unknown[]; finished: unknown[] };

export type ScriptedSidecar = {
  url: string;
  requests: Recorded[];
  /** Bodies of `POST /prompt`, with the prompt id answered. */
  prompts: { body: Record<string, unknown>; promptId: string }[];
  jobs: JobsLists;
  /** Serve 404 for /api/jobs (a server from before the jobs API): the client must use /queue + /history. */
  legacy: boolean;
  queue: { queue_running: unknown[]; queue_pending: unknown[] };
  history: Record<string, unknown>;
  /** Sends a JSON frame to every connected tab. */
  send: (message: { type: string; data: unknown }) => void;
  /** Sends a JSON frame to the one tab whose sid is `clientId`. */
  sendTo: (clientId: string, message: { type: string; data: unknown }) => void;
  /** Holds `POST /prompt` answers this long (to see the "Sending" phase). */
  promptDelayMs: number;
  /** Answer `POST /prompt` with ComfyUI's 400 (validation failed) while true. */
  refusePrompts: boolean;
  sockets: () => number;
  /** Closes every browser socket (the tabs reconnect after 300 ms). */
  dropSockets: () => void;
  /** Refuse WS upgrades while true (to keep tabs on the polling fallback). */
  refuseSockets: boolean;
  close: () => Promise<void>;
};

/** A solid-colour PNG, so a test can check the exact pixel colour drawn on the canvas. */
export function solidPng(width: number, height: number, rgb: [number, number, number]): Buffer {
  const png = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) png.data.set([...rgb, 255], i * 4);
  return PNG.sync.write(png);
}

export async function startScriptedSidecar(
  opts: { image?: Buffer } = {},
): Promise<ScriptedSidecar> {
  const objectInfo: Record<string, unknown> = {};
  for (const type of NODE_TYPES) {
    const recorded = JSON.parse(
      readFileSync(path.join(fixtures, 'api/object_info', `${type}.json`), 'utf8'),
    ) as Record<string, unknown>;
    Object.assign(
      objectInfo,
      (recorded.response as { json?: unknown } | undefined)?.json ?? recorded,
    );
  }
  const image = opts.image ?? solidPng(256, 192, [204, 102, 0]);
  const wss = new WebSocketServer({ noServer: true });
  const sids = new Map<string, WebSocket>();
  let number = 0;

  const state: ScriptedSidecar = {
    url: '',
    requests: [],
    prompts: [],
    jobs: { active: [], finished: [] },
    legacy: false,
    queue: { queue_running: [], queue_pending: [] },
    history: {},
    refuseSockets: false,
    refusePrompts: false,
    send: (message) => {
      const text = JSON.stringify(message);
      for (const ws of wss.clients) if (ws.readyState === WebSocket.OPEN) ws.send(text);
    },
    sendTo: (clientId, message) => {
      const ws = sids.get(clientId);
      if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
    },
    promptDelayMs: 0,
    sockets: () => wss.clients.size,
    dropSockets: () => {
      for (const ws of wss.clients) ws.terminate();
    },
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const route = url.pathname.replace(/^\/api(?=\/)/, '');
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = raw;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {}
      state.requests.push({
        method: req.method ?? 'GET',
        path: `${url.pathname}${url.search}`,
        body,
      });
      if (req.method === 'GET' && route === '/object_info') return json(res, 200, objectInfo);
      if (req.method === 'GET' && route === '/extensions') return json(res, 200, []);
      // The real sidecar's workshop answer, with no workshop workflows.
      if (req.method === 'GET' && route === '/comfyume/workshop')
        return json(res, 200, { workflows: [] });
      if (route === '/settings' || route.startsWith('/settings/'))
        return json(res, 200, req.method === 'GET' ? {} : null);
      if (req.method === 'POST' && route === '/prompt' && state.refusePrompts) {
        const error = {
          type: 'prompt_outputs_failed_validation',
          message: 'Prompt outputs failed validation',
          details: '',
          extra_info: {},
        };
        return setTimeout(() => json(res, 400, { error, node_errors: {} }), state.promptDelayMs);
      }
      if (req.method === 'POST' && route === '/prompt') {
        const promptId = randomUUID();
        state.prompts.push({ body: body as Record<string, unknown>, promptId });
        const answer = { prompt_id: promptId, number: number++, node_errors: {} };
        setTimeout(() => json(res, 200, answer), state.promptDelayMs);
        return;
      }
      if (req.method === 'GET' && route === '/jobs') {
        if (state.legacy) return json(res, 404, { error: 'Not Found' });
        const wanted = (url.searchParams.get('status') ?? '').split(',');
        const list = (
          wanted.includes('pending') ? state.jobs.active : state.jobs.finished
        ) as unknown[];
        return json(res, 200, {
          jobs: list,
          pagination: { offset: 0, limit: 200, total: list.length, has_more: false },
        });
      }
      if (req.method === 'GET' && route.startsWith('/jobs/')) {
        if (state.legacy) return json(res, 404, { error: 'Not Found' });
        const id = route.slice('/jobs/'.length);
        const p = state.prompts.find((x) => x.promptId === id);
        if (!p) return json(res, 404, { error: 'Job not found' });
        return json(res, 200, {
          id,
          status: 'completed',
          create_time: 1,
          workflow: { prompt: p.body.prompt, extra_data: p.body.extra_data },
        });
      }
      if (req.method === 'GET' && route === '/queue') return json(res, 200, state.queue);
      if (req.method === 'GET' && route.startsWith('/history'))
        return json(res, 200, state.history);
      if (
        req.method === 'POST' &&
        (route === '/interrupt' || route === '/queue' || route === '/history')
      )
        return json(res, 200, null);
      if (req.method === 'GET' && route === '/view') {
        res.writeHead(200, { 'Content-Type': 'image/png' });
        return res.end(image);
      }
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('404: Not Found');
    });
  });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/ws' || state.refuseSockets) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => undefined);
      const sid = url.searchParams.get('clientId') || randomUUID().replaceAll('-', '');
      sids.set(sid, ws);
      ws.send(
        JSON.stringify({
          type: 'status',
          data: { status: { exec_info: { queue_remaining: state.jobs.active.length } }, sid },
        }),
      );
      ws.once('message', () =>
        ws.send(
          JSON.stringify({
            type: 'feature_flags',
            data: {
              supports_preview_metadata: true,
              max_upload_size: 104857600,
              node_replacements: true,
              assets: false,
            },
          }),
        ),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}
