/**
 * @fileoverview Test-only helpers to read the recorded ComfyUI fixtures in `<repo>/../shared`
 * (protocol/src/comfy's tests: the fixture sweep, validation and jobs).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ComfyNodeDef } from '../../protocol/src/comfy/http';

export const SHARED = path.resolve(import.meta.dirname, '../..', '../shared');
export const FIXTURES = path.join(SHARED, 'fixtures/comfyui');

export type Version = '0.8.0' | '0.27.0';
/** Folder of the API captures of a version (0.27.0 nests them under `api/`). */
export const apiDir = (v: Version) =>
  path.join(FIXTURES, v === '0.8.0' ? 'real-0.8.0' : 'real-0.27.0/api');

export function readJson<T = unknown>(file: string): T {
  return JSON.parse(
    readFileSync(path.isAbsolute(file) ? file : path.join(FIXTURES, file), 'utf8'),
  ) as T;
}

/** Every file under the fixtures folder (relative paths, sorted) ending with `suffix`. */
export function listFixtures(suffix: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.name.endsWith(suffix)) out.push(path.relative(FIXTURES, full));
    }
  };
  walk(FIXTURES);
  return out.sort();
}

/** A recorded exchange: `{request, response}`. */
export interface Exchange {
  request: { method: string; path?: string; url?: string; body?: unknown; raw_body?: string };
  response: {
    status: number;
    content_type?: string | null;
    json?: unknown;
    text?: string;
    body?: unknown;
  };
}

const objectInfoCache = new Map<Version, Record<string, ComfyNodeDef>>();
export function objectInfo(v: Version): Record<string, ComfyNodeDef> {
  let info = objectInfoCache.get(v);
  if (!info) {
    info = readJson<Record<string, ComfyNodeDef>>(path.join(apiDir(v), 'object_info/_all.json'));
    objectInfoCache.set(v, info);
  }
  return info;
}
