/**
 * @fileoverview Input files a prompt refers to (LoadImage `image: "sub/cat.png"`, `"cat.png [input]"`,
 * and any other combo input whose value is a file in the attendee's input folder): found, hashed,
 * uploaded once to the relay (content-addressed), and made acceptable to validation against the
 * GPU's node set, whose combo lists name the GPU's files, not the attendee's.
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { ComfyNodeDef } from '../../../protocol/src/comfy/http';
import type { JobInput } from '../../../protocol/src/relay/api';
import type { RelayClient } from '../relay/relay-client';
import { confinedFile } from '../../../kit/output-files/confine';

export type InputRef = {
  nodeId: string;
  classType: string;
  input: string;
  value: string;
  path: string;
  file: string;
};

const ANNOTATION = / \[(input|output|temp)\]$/;

export function stripAnnotation(value: string): {
  name: string;
  folder: 'input' | 'output' | 'temp';
} {
  const match = ANNOTATION.exec(value);
  return match
    ? { name: value.slice(0, match.index), folder: match[1] as 'input' | 'output' | 'temp' }
    : { name: value, folder: 'input' };
}

/** `sub/cat.png` (no annotation) → its file in the input folder (real path), if it is a file there. */
export function inputFilePath(inputDir: string, name: string): string | undefined {
  return confinedFile(inputDir, name);
}

function isComboSpec(spec: unknown): boolean {
  if (!Array.isArray(spec)) return false;
  return Array.isArray(spec[0]) || spec[0] === 'COMBO';
}

/** Combo inputs of the prompt whose value is a file in the attendee's input folder. */
export function findInputFiles(
  prompt: Record<string, unknown>,
  objectInfo: Record<string, ComfyNodeDef>,
  inputDir: string,
): InputRef[] {
  const refs: InputRef[] = [];
  for (const [nodeId, node] of Object.entries(prompt)) {
    if (!node || typeof node !== 'object') continue;
    const { class_type: classType, inputs } = node as { class_type?: unknown; inputs?: unknown };
    const def = typeof classType === 'string' ? objectInfo[classType] : undefined;
    if (!def || !inputs || typeof inputs !== 'object') continue;
    for (const [input, value] of Object.entries(inputs as Record<string, unknown>)) {
      if (typeof value !== 'string') continue;
      const spec = def.input.required?.[input] ?? def.input.optional?.[input];
      if (!isComboSpec(spec)) continue;
      const { name, folder } = stripAnnotation(value);
      if (folder !== 'input') continue;
      const file = inputFilePath(inputDir, name);
      if (file)
        refs.push({ nodeId, classType: classType as string, input, value, path: name, file });
    }
  }
  return refs;
}

/**
 * A copy of object_info whose combo lists also hold the attendee's files the prompt uses, so
 * `value_not_in_list` is reported exactly when the attendee's own ComfyUI would report it.
 */
export function withLocalInputs(
  objectInfo: Record<string, ComfyNodeDef>,
  refs: readonly InputRef[],
): Record<string, ComfyNodeDef> {
  if (refs.length === 0) return objectInfo;
  const copy = { ...objectInfo };
  for (const ref of refs) {
    const def = structuredClone(copy[ref.classType]);
    if (!def) continue;
    for (const group of ['required', 'optional'] as const) {
      const spec = def.input[group]?.[ref.input] as unknown[] | undefined;
      if (!spec) continue;
      const list = Array.isArray(spec[0])
        ? spec[0]
        : (spec[1] as { options?: unknown[] } | undefined)?.options;
      if (Array.isArray(list))
        for (const v of [ref.value, ref.path]) if (!list.includes(v)) list.push(v);
    }
    copy[ref.classType] = def;
  }
  return copy;
}

/** Hashes and uploads each distinct file once per sidecar run (the relay stores by sha256). */
export function createInputUploader(relay: RelayClient) {
  const uploaded = new Map<string, string>(); // `${file}|${size}|${mtime}` → sha256
  return async function upload(refs: readonly InputRef[]): Promise<JobInput[]> {
    const byPath = new Map<string, JobInput>();
    for (const ref of refs) {
      if (byPath.has(ref.path)) continue;
      const info = statSync(ref.file);
      const key = `${ref.file}|${info.size}|${info.mtimeMs}`;
      let sha = uploaded.get(key);
      if (!sha) {
        const bytes = await readFile(ref.file);
        sha = createHash('sha256').update(bytes).digest('hex');
        await relay.putInput(sha, bytes);
        uploaded.set(key, sha);
      }
      byPath.set(ref.path, { path: ref.path, sha256: sha });
    }
    return [...byPath.values()];
  };
}
