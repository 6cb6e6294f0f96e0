/**
 * @fileoverview Comparing simulator answers with recorded ones: recorded prompt ids are mapped to ours,
 * then both sides are scrubbed of what honestly differs between runs (times, temp suffixes, folder paths,
 * the order of Python sets) before an exact comparison.
 */
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const TEMP = /ComfyUI_temp_[a-z]{5}_/g;
const PATHS = /(full_output_folder|output_dir|commonpath): [^\n]*/g;
/** Keys whose lists are Python sets in ComfyUI (order varies per process). */
const SET_KEYS = new Set(['executed', 'current_outputs']);

export class IdMap {
  private map = new Map<string, string>();
  set(recorded: string, ours: string): void {
    this.map.set(recorded, ours);
  }
  get(recorded: string): string {
    return this.map.get(recorded) ?? recorded;
  }
  /** Recorded text with recorded ids replaced by ours. */
  text(value: string): string {
    return value.replace(UUID, (m) => this.get(m));
  }
  /** A recorded document with every recorded id (in keys and values) replaced by ours. */
  doc<T>(value: T): T {
    return JSON.parse(this.text(JSON.stringify(value))) as T;
  }
}

const isQueueTuple = (v: unknown[]): boolean =>
  v.length === 5 && typeof v[1] === 'string' && Array.isArray(v[4]) && typeof v[2] === 'object';

export function scrub(value: unknown, key = ''): unknown {
  if (typeof value === 'string')
    return value.replace(TEMP, 'ComfyUI_temp_xxxxx_').replace(PATHS, '$1: <path>');
  if (typeof value === 'number' && /(^|_)time$|timestamp/.test(key)) return '<ms>';
  if (Array.isArray(value)) {
    const items = value.map((v) => scrub(v));
    if (SET_KEYS.has(key)) return [...items].sort();
    if (isQueueTuple(value)) items[4] = [...(items[4] as unknown[])].sort();
    return items;
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = scrub(v, k);
    return out;
  }
  return value;
}

/** Every text message's type, in order (server → client). */
export const types = (messages: Array<{ type: string }>): string[] => messages.map((m) => m.type);

/** Messages (scrubbed) other than progress_state, sorted: order-insensitive content comparison. */
export function contentSet(messages: Array<{ type: string; data: unknown }>): string[] {
  return messages
    .filter((m) => m.type !== 'progress_state')
    .map((m) => JSON.stringify(scrub(m)))
    .sort();
}
