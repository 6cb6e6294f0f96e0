/**
 * @fileoverview The real ComfyUI recordings the replay suite replays (../shared/fixtures/comfyui):
 * every API run of 0.8.0 and 0.27.0 and both frontend runs, each as what the client sent (its first
 * feature_flags frame, its POST /prompt body, the steps of run4) and what the server answered on the
 * socket. Read once from the fixture files; nothing here starts a process.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const FIXTURES = path.resolve(import.meta.dirname, '../../../shared/fixtures/comfyui');

export type WsMessage = { type: string; data: Record<string, unknown> };
export type Generation = '0.8.0' | '0.27.0';

/** A POST the recorded client made (path as recorded, body with the recorded ids). */
export type RecordedRequest = {
  method: string;
  path: string;
  body?: unknown;
  responseJson?: unknown;
};

/**
 * What a recording needs besides one POST /prompt:
 *  - `plain`: the prompt runs to its end;
 *  - `rerun`: the same prompt ran once before on the same ComfyUI (the recording is the cached rerun);
 *  - `interrupt`: while node 2 runs, the recorded pending prompts of another client are queued and
 *    removed, then the prompt is interrupted, each step waiting for the `status` it caused.
 */
export type Script =
  | { kind: 'plain' }
  | { kind: 'rerun'; prime: RecordedRequest }
  | { kind: 'interrupt'; whileRunning: InterruptStep[] };

export type InterruptStep =
  | { kind: 'queue'; request: RecordedRequest } // POST /prompt of another client → status(+1)
  | { kind: 'remove'; request: RecordedRequest; statuses: number } // queue delete / jobs cancel
  | { kind: 'interrupt'; request: RecordedRequest };

export type Recording = {
  /** e.g. `real-0.8.0/run2_invert_preview_save`, `real-0.27.0/frontend`. */
  name: string;
  generation: Generation;
  dir: string;
  /** The tab's clientId at connect (`undefined`: the frontend connected without one; the server minted it). */
  clientId?: string;
  /** The first text frame the client sent (its feature_flags). */
  hello: WsMessage;
  /** The POST /prompt the tab made, and the prompt id ComfyUI answered. */
  prompt: RecordedRequest & { promptId: string };
  /** Extra request headers the client sent (the frontend's `comfy-user`). */
  headers: Record<string, string>;
  /** Server → client text frames, in order (handshake included). */
  received: WsMessage[];
  /** Binary frames the client received. */
  binaryCount: number;
  /** `/history/<id>` as recorded after the run (API runs only). */
  history?: Record<string, unknown>;
  script: Script;
};

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

type Line = { dir?: string; kind?: string; msg?: WsMessage; payload?: WsMessage };

/** Both recorder formats: API captures (`kind` + `msg`) and frontend captures (`payload`, no `kind`). */
function readSession(file: string): {
  sent: WsMessage[];
  received: WsMessage[];
  binaryCount: number;
} {
  const sent: WsMessage[] = [];
  const received: WsMessage[] = [];
  let binaryCount = 0;
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    if (!raw.trim()) continue;
    const line = JSON.parse(raw) as Line;
    if (line.kind === 'binary') {
      if (line.dir === 'in') binaryCount++;
      continue;
    }
    const message = line.msg ?? line.payload;
    if (!message || typeof message.type !== 'string') continue;
    if (line.dir === 'out') sent.push(message);
    else if (line.dir === 'in') received.push(message);
  }
  return { sent, received, binaryCount };
}

type Exchange = {
  request: {
    method: string;
    path?: string;
    url?: string;
    body?: unknown;
    headers?: Record<string, string>;
  };
  response: { json?: unknown; body?: unknown };
};

function request(file: string): RecordedRequest {
  const ex = readJson<Exchange>(file);
  const at = ex.request.path ?? new URL(ex.request.url ?? '/').pathname;
  return {
    method: ex.request.method,
    path: at,
    body: ex.request.body,
    responseJson: ex.response.json ?? ex.response.body,
  };
}

const promptIdOf = (req: RecordedRequest) =>
  String((req.responseJson as { prompt_id?: unknown } | undefined)?.prompt_id);

function script(generation: Generation, dir: string, run: string): Script {
  if (run === 'run2b_cached_rerun')
    return {
      kind: 'rerun',
      prime: request(path.join(dir, '..', 'run2_invert_preview_save', 'post_prompt.json')),
    };
  if (run !== 'run4_interrupted') return { kind: 'plain' };
  const at = (name: string) => request(path.join(dir, name));
  if (generation === '0.8.0') {
    return {
      kind: 'interrupt',
      whileRunning: [
        { kind: 'queue', request: at('post_prompt_pending.json') },
        // ComfyUI announces the queue twice when the last pending prompt is deleted (wipe_queue + delete).
        { kind: 'remove', request: at('post_queue_delete.json'), statuses: 2 },
        { kind: 'interrupt', request: at('post_interrupt.json') },
      ],
    };
  }
  return {
    kind: 'interrupt',
    whileRunning: [
      { kind: 'queue', request: at('post_prompt_pending_a.json') },
      { kind: 'queue', request: at('post_prompt_pending_b.json') },
      { kind: 'remove', request: at('post_queue_delete.json'), statuses: 1 },
      { kind: 'remove', request: at('post_jobs_cancel_pending.json'), statuses: 2 },
      { kind: 'interrupt', request: at('post_interrupt.json') },
    ],
  };
}

function apiRun(generation: Generation, dir: string, run: string): Recording {
  const runDir = path.join(dir, run);
  const session = readSession(path.join(runDir, 'ws.jsonl'));
  const summary = readJson<{ client_id: string }>(path.join(runDir, 'summary.json'));
  const prompt = request(path.join(runDir, 'post_prompt.json'));
  const historyFile = path.join(runDir, 'history.json');
  return {
    name: path.relative(FIXTURES, runDir).split(path.sep).join('/'),
    generation,
    dir: runDir,
    clientId: summary.client_id,
    hello: session.sent[0] as WsMessage,
    prompt: { ...prompt, promptId: promptIdOf(prompt) },
    headers: {},
    received: session.received,
    binaryCount: session.binaryCount,
    history: existsSync(historyFile)
      ? (readJson<Exchange>(historyFile).response.json as Record<string, unknown>)
      : undefined,
    script: script(generation, runDir, run),
  };
}

function frontendRun(generation: Generation, dir: string): Recording {
  const session = readSession(path.join(dir, 'ws.jsonl'));
  const ex = readJson<Exchange>(path.join(dir, 'post_prompt_1.json'));
  const prompt = request(path.join(dir, 'post_prompt_1.json'));
  return {
    name: `real-${generation}/frontend`,
    generation,
    dir,
    clientId: undefined,
    hello: session.sent[0] as WsMessage,
    prompt: { ...prompt, promptId: promptIdOf(prompt) },
    headers: { 'comfy-user': ex.request.headers?.['comfy-user'] ?? '' },
    received: session.received,
    binaryCount: session.binaryCount,
    script: { kind: 'plain' },
  };
}

/** Every recording of both generations: `real-0.8.0/run*`, `real-0.8.0/frontend`, `real-0.27.0/api/run*`, `real-0.27.0/frontend`. */
export function allRecordings(): Recording[] {
  const out: Recording[] = [];
  for (const [generation, apiDir] of [
    ['0.8.0', path.join(FIXTURES, 'real-0.8.0')],
    ['0.27.0', path.join(FIXTURES, 'real-0.27.0', 'api')],
  ] as const) {
    for (const run of readdirSync(apiDir)
      .filter((d) => d.startsWith('run'))
      .sort())
      out.push(apiRun(generation, apiDir, run));
    out.push(frontendRun(generation, path.join(FIXTURES, `real-${generation}`, 'frontend')));
  }
  return out;
}
