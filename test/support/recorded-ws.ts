/**
 * @fileoverview Test helper: the real ComfyUI WebSocket recordings (shared/fixtures/comfyui) as
 * message lists, and the normalisation used to compare our sequences with them.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const fixturesDir = resolve(repoRoot, '../shared/fixtures/comfyui');

export type RecordedMessage = { type: string; data: Record<string, unknown> };

/** Server → client text messages of a recording (both recorder formats). */
export function recordedIncoming(relPath: string): RecordedMessage[] {
  const lines = readFileSync(resolve(fixturesDir, relPath), 'utf8').split('\n').filter(Boolean);
  const out: RecordedMessage[] = [];
  for (const line of lines) {
    const row = JSON.parse(line) as {
      dir?: string;
      kind?: string;
      msg?: RecordedMessage;
      payload?: RecordedMessage;
    };
    if (row.dir !== 'in') continue;
    const message = row.payload ?? (row.kind === 'text' ? row.msg : undefined);
    if (message && typeof message.type === 'string') out.push(message);
  }
  return out;
}

/** The part of a recording that belongs to one prompt: from the first enqueue `status` to `executing{null}`. */
export function jobSegment(messages: RecordedMessage[]): RecordedMessage[] {
  const start = messages.findIndex((m, i) => i > 0 && m.type === 'status' && !('sid' in m.data));
  const end = messages.findIndex((m) => m.type === 'executing' && m.data.node === null);
  return messages.slice(start, end + 1);
}

/**
 * Types in order, with `executing` split into `executing` / `executing:null` and progress_state
 * reduced to the states of its nodes, so a comparison shows what differs.
 */
export function signature(messages: RecordedMessage[]): string[] {
  return messages.map((m) => {
    if (m.type === 'executing')
      return m.data.node === null ? 'executing:null' : `executing:${String(m.data.node)}`;
    if (m.type === 'executed') return `executed:${String(m.data.node)}`;
    if (m.type === 'status') return 'status';
    return m.type;
  });
}

export function readJson<T = unknown>(relPath: string): T {
  return JSON.parse(readFileSync(resolve(fixturesDir, relPath), 'utf8')) as T;
}

/** The message with ids, timestamps and random temp-file suffixes replaced, for exact comparison. */
export function normalised(message: RecordedMessage): RecordedMessage {
  const text = JSON.stringify(message)
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<prompt_id>')
    .replace(/"timestamp":\d+/g, '"timestamp":0')
    .replace(/_temp_[a-z]{5}_/g, '_temp_xxxxx_');
  return JSON.parse(text) as RecordedMessage;
}
