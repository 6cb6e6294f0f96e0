/**
 * @fileoverview The names delivered output files get, so the attendee's stock UI sees ComfyUI's own
 * naming: `<stem>_<NNNNN>_.png`, the counter being 1 + the highest one already used by that stem in
 * the folder. One rule for every store that places a file a GPU already made (the relay's per-user
 * store, the sidecar's local folders): case-insensitive and reading the digits that follow
 * `<stem>_`, so no number some file already holds, under any case or suffix shape (VHS's
 * `clip_00003.mp4`), is used twice. ComfyUI's exact reading, for the simulator, is comfy-save-path.ts.
 */
import { readdir } from 'node:fs/promises';

/** `<stem>_<NNNNN>_<ext>` (`ext` with or without its dot). */
export function counterName(stem: string, counter: number, ext: string): string {
  const dotted = ext === '' || ext.startsWith('.') ? ext : `.${ext}`;
  return `${stem}_${String(counter).padStart(5, '0')}_${dotted}`;
}

/** 1 + the highest N of `<stem>_<N>…` among `names` (case-insensitive, any extension). */
export function nextCounter(names: readonly string[], stem: string): number {
  const lead = `${stem.toLowerCase()}_`;
  let max = 0;
  for (const name of names) {
    if (!name.toLowerCase().startsWith(lead)) continue;
    const digits = /^(\d+)/.exec(name.slice(lead.length));
    if (digits) max = Math.max(max, Number(digits[1]));
  }
  return max + 1;
}

/** nextCounter over the folder's entries (1 for a missing folder). */
export async function nextCounterIn(dir: string, stem: string): Promise<number> {
  return nextCounter(await readdir(dir).catch(() => [] as string[]), stem);
}

const COUNTER = /^(.*)_(\d{5,})(\D.*)?$/;

/**
 * The name to use instead of `wanted` when it is taken by another file, given the folder listing.
 * `prefix_00001_.png` → `prefix_<max+1>_.png` (same digit width and suffix); any other name →
 * `name (n).ext` (ComfyUI's upload rule).
 */
export function nextFreeName(wanted: string, existing: readonly string[]): string {
  const taken = new Set(existing.map((name) => name.toLowerCase()));
  const match = COUNTER.exec(wanted);
  if (match) {
    const [, stem = '', digits = '', rest = ''] = match;
    for (let counter = nextCounter([...taken], stem); ; counter++) {
      const candidate = `${stem}_${String(counter).padStart(digits.length, '0')}${rest}`;
      if (!taken.has(candidate.toLowerCase())) return candidate;
    }
  }
  const dot = wanted.lastIndexOf('.');
  const stem = dot > 0 ? wanted.slice(0, dot) : wanted;
  const ext = dot > 0 ? wanted.slice(dot) : '';
  for (let i = 1; ; i++) {
    const candidate = `${stem} (${i})${ext}`;
    if (!taken.has(candidate.toLowerCase())) return candidate;
  }
}
