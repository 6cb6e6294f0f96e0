/**
 * @fileoverview Pure file-naming rules for outputs written into the local ComfyUI folders:
 * path confinement, and the next free name after a clash, following ComfyUI's own counter rule
 * (`<prefix>_<NNNNN>_.png`: 1 + the highest counter already used by that prefix, case-insensitive).
 */
import { isAbsolute, normalize, resolve, sep } from 'node:path';

/** `base/subfolder/filename` if it stays inside base (ComfyUI refuses the same escapes), else undefined. */
export function confinedPath(
  base: string,
  subfolder: string,
  filename: string,
): string | undefined {
  if (!filename || filename.includes('/') || filename.includes('\\') || filename.includes('\0'))
    return undefined;
  if (filename === '.' || filename === '..') return undefined;
  if (
    subfolder.includes('\0') ||
    isAbsolute(subfolder) ||
    normalize(subfolder).split(/[\\/]/).includes('..')
  ) {
    return undefined;
  }
  const root = resolve(base);
  const full = resolve(root, subfolder, filename);
  return full.startsWith(root + sep) ? full : undefined;
}

const COUNTER = /^(.*)_(\d{5,})(\D.*)?$/;

/**
 * The name to use instead of `wanted` when it is taken by another file, given the folder listing.
 * `prefix_00001_.png` → `prefix_<max+1>_.png`; any other name → `name (n).ext` (ComfyUI's upload rule).
 */
export function nextFreeName(wanted: string, existing: readonly string[]): string {
  const taken = new Set(existing.map((name) => name.toLowerCase()));
  const match = COUNTER.exec(wanted);
  if (match) {
    const [, prefix = '', digits = '', rest = ''] = match;
    const lead = `${prefix.toLowerCase()}_`;
    let max = 0;
    for (const name of taken) {
      if (!name.startsWith(lead)) continue;
      const n = /^(\d+)/.exec(name.slice(lead.length));
      if (n) max = Math.max(max, Number(n[1]));
    }
    for (let counter = max + 1; ; counter++) {
      const candidate = `${prefix}_${String(counter).padStart(digits.length, '0')}${rest}`;
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
