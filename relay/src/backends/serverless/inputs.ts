/**
 * @fileoverview Inputs travel with the job (DESIGN.md §3.5): each file a LoadImage-style node reads
 * is put where the GPU will look before the prompt is submitted — copied into the shared input
 * folder (SFS_INPUT_DIR) when there is one, else uploaded with `POST /upload/image`.
 *
 * Upload lands on one replica only: with several replicas it is correct only if they share their
 * input folder. The SFS copy has no such limit, which is why it is preferred when configured.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, rename, rm } from 'node:fs/promises';
import { posix, resolve, sep } from 'node:path';
import type { EndpointClient } from './endpoint';

export type JobInput = { path: string; sha256: string; file: string };

/** The input's path relative to the input folder, refused if it would leave it. */
export function inputRelPath(path: string): string {
  const normal = posix.normalize(path.replaceAll('\\', '/'));
  if (
    normal.startsWith('/') ||
    /^[A-Za-z]:/.test(normal) ||
    normal === '..' ||
    normal.startsWith('../') ||
    normal === '.'
  ) {
    throw new Error(`input path "${path}" would leave the input folder`);
  }
  return normal;
}

async function sha256Of(path: string): Promise<string | undefined> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  } catch {
    return undefined; // missing or unreadable: copy it
  }
  return hash.digest('hex');
}

/** Copy into the shared input folder atomically (temp file + rename): a replica never reads half a file. */
export async function copyToInputDir(
  input: JobInput,
  inputDir: string,
): Promise<'copied' | 'present'> {
  const rel = inputRelPath(input.path);
  const target = resolve(inputDir, ...rel.split('/'));
  if (!target.startsWith(resolve(inputDir) + sep))
    throw new Error(`input path "${input.path}" would leave the input folder`);
  if ((await sha256Of(target)) === input.sha256) return 'present';
  const dir = resolve(target, '..');
  await mkdir(dir, { recursive: true });
  const temp = resolve(dir, `.comfyume-${randomUUID()}.tmp`);
  try {
    await copyFile(input.file, temp);
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return 'copied';
}

/** Upload through the endpoint (multipart, overwrite=true, subfolder from the path). */
export async function uploadInput(
  input: JobInput,
  endpoint: EndpointClient,
  signal?: AbortSignal,
): Promise<void> {
  const reply = await endpoint.client.upload(input.file, inputRelPath(input.path), {
    signal,
    timeoutMs: 120_000,
  });
  if (reply.status !== 200) {
    throw new Error(
      `uploading input "${input.path}" to the GPU failed: HTTP ${reply.status} ${reply.text.slice(0, 200)}`,
    );
  }
  const { stored, name, subfolder } = reply;
  if (stored?.name !== name || (stored.subfolder ?? '') !== subfolder) {
    throw new Error(
      `the GPU stored input "${input.path}" as "${String(stored?.subfolder ?? '')}/${String(stored?.name)}"`,
    );
  }
}
