/**
 * @fileoverview Test support for the fidelity suites: loading the real ComfyUI recordings, one normaliser
 * (prompt ids, sids, timestamps, temp suffixes), a shape comparer (key sets + value types, recursively),
 * and a WebSocket client that records frames like the capture scripts did.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';

export const FIXTURES = path.resolve(import.meta.dirname, '../../../shared/fixtures/comfyui');
export const REAL_027 = path.join(FIXTURES, 'real-0.27.0');
export const REAL_08 = path.join(FIXTURES, 'real-0.8.0');

export type Exchange = {
  request: { method: string; path: string; body?: unknown; raw_body?: string };
  response: { status: number; content_type: string | null; json?: unknown; text?: string };
};

export const readJson = <T = unknown>(file: string): T =>
  JSON.parse(readFileSync(file, 'utf8')) as T;
export const readExchange = (file: string): Exchange => readJson<Exchange>(file);

export type Frame =
  | { kind: 'text'; msg: { type: string; data: Record<string, unknown> } }
  | { kind: 'binary'; data: Buffer };

/** The `in` frames of a recorded ws.jsonl (server → client), text and binary. */
export function recordedFrames(file: string): Frame[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map(
      (line) =>
        JSON.parse(line) as { dir?: string; kind?: string; msg?: unknown; payload?: unknown },
    )
    .filter((l) => l.dir === 'in')
    .map((l) => {
      const msg = (l.msg ?? l.payload) as { type: string; data: Record<string, unknown> };
      return l.kind === 'binary'
        ? ({ kind: 'binary', data: Buffer.alloc(0) } as Frame)
        : ({ kind: 'text', msg } as Frame);
    })
    .filter((f) => f.kind === 'binary' || typeof f.msg?.type === 'string');
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const TEMP = /ComfyUI_temp_[a-z]{5}_/g;

/**
 * Replaces what differs between two honest runs: prompt ids (in order of appearance), client ids,
 * ms timestamps and time fields, PreviewImage's random suffix.
 */
export class Normaliser {
  private ids = new Map<string, string>();

  constructor(private readonly clientIds: string[] = []) {}

  id(value: string): string {
    let out = this.ids.get(value);
    if (!out) this.ids.set(value, (out = `<id${this.ids.size + 1}>`));
    return out;
  }

  normalise(value: unknown, key = ''): unknown {
    if (typeof value === 'string') {
      if (this.clientIds.includes(value) || key === 'sid' || key === 'client_id') return '<client>';
      return value.replace(UUID, (m) => this.id(m)).replace(TEMP, 'ComfyUI_temp_xxxxx_');
    }
    if (typeof value === 'number' && /time|timestamp/.test(key)) return '<ms>';
    if (Array.isArray(value)) return value.map((v) => this.normalise(v));
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[this.normaliseKey(k)] = this.normalise(v, k);
      return out;
    }
    return value;
  }

  private normaliseKey(k: string): string {
    return k.replace(UUID, (m) => this.id(m));
  }
}

/** `{a: 'string', b: {c: 'number'}}`: the key sets and value types, recursively (arrays by their items). */
export function shape(value: unknown): unknown {
  if (value === null) return 'null';
  if (Array.isArray(value))
    return value.length === 0
      ? []
      : [...new Set(value.map((v) => JSON.stringify(shape(v))))].map(
          (s) => JSON.parse(s) as unknown,
        );
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value as object).sort())
      out[key] = shape((value as Record<string, unknown>)[key]);
    return out;
  }
  return typeof value;
}

/** A WebSocket client that announces feature flags first (as the capture scripts and the UI do) and keeps every frame. */
export class RecordingClient {
  readonly frames: Frame[] = [];
  private waiters: Array<() => void> = [];
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const buf = Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
      this.frames.push(
        isBinary
          ? { kind: 'binary', data: buf }
          : { kind: 'text', msg: JSON.parse(buf.toString()) },
      );
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static async open(
    url: string,
    options: {
      clientId?: string;
      flags?: Record<string, unknown> | null;
      headers?: Record<string, string>;
    } = {},
  ): Promise<RecordingClient> {
    const ws = new WebSocket(
      `${url.replace(/^http/, 'ws')}/ws${options.clientId ? `?clientId=${options.clientId}` : ''}`,
      { headers: options.headers },
    );
    const client = new RecordingClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const flags =
      options.flags === undefined
        ? {
            supports_preview_metadata: true,
            supports_manager_v4_ui: true,
            supports_progress_text_metadata: true,
          }
        : options.flags;
    if (flags) ws.send(JSON.stringify({ type: 'feature_flags', data: flags }));
    return client;
  }

  texts(): Array<{ type: string; data: Record<string, unknown> }> {
    return this.frames
      .filter((f) => f.kind === 'text')
      .map((f) => (f as Extract<Frame, { kind: 'text' }>).msg);
  }

  /** Resolves when `predicate` holds for the frames so far (checked on every new frame). */
  async until(
    predicate: (texts: Array<{ type: string; data: Record<string, unknown> }>) => boolean,
    timeoutMs = 60_000,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.texts())) {
      if (Date.now() > deadline)
        throw new Error(
          `timed out waiting; got ${this.texts()
            .map((m) => m.type)
            .join(',')}`,
        );
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 1000);
      });
    }
  }

  /** Waits for `executing {node: null, prompt_id}`, the end of that prompt. */
  finished(promptId: string): Promise<void> {
    return this.until((t) =>
      t.some(
        (m) => m.type === 'executing' && m.data.node === null && m.data.prompt_id === promptId,
      ),
    );
  }

  close(): void {
    this.ws.close();
  }
}

export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; contentType: string | null; json?: unknown; text: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, contentType: res.headers.get('content-type'), json, text };
}

export async function getJson(url: string): Promise<{ status: number; json: unknown }> {
  const res = await fetch(url);
  return { status: res.status, json: await res.json() };
}
