/**
 * @fileoverview A finished job's files: listed from /api/history (or the `executed` messages when
 * history has none), fetched through /api/view like the browser's image previews, and saved.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { SubmitError, type SavedFile, type Target } from './target';

type SaveOptions = { outDir?: string; includeTemp?: boolean };

/** Every file in a history entry's outputs. */
function filesOf(outputs: Record<string, Record<string, unknown>>): Omit<SavedFile, 'bytes'>[] {
  return Object.values(outputs).flatMap((node) =>
    Object.values(node)
      .flatMap((list) => (Array.isArray(list) ? list : []))
      .filter(
        (f): f is { filename: string; subfolder: string; type: string } =>
          typeof f?.filename === 'string',
      )
      .map((f) => ({
        filename: f.filename,
        subfolder: f.subfolder ?? '',
        type: f.type ?? 'output',
      })),
  );
}

export async function fetchOutputs(
  target: Target,
  promptId: string,
  opts: SaveOptions,
  fromWs: Record<string, Record<string, unknown>>,
): Promise<SavedFile[]> {
  // History is the full record; the executed messages are the fallback when history is not kept.
  const entry = await target.history(promptId).catch(() => undefined);
  const outputs = entry?.outputs ?? fromWs;
  const saved: SavedFile[] = [];
  for (const file of filesOf(outputs)) {
    if (file.type === 'temp' && !opts.includeTemp) continue;
    const { status, bytes } = await target.download(file);
    if (status < 200 || status >= 300)
      throw new SubmitError(`GET /api/view for ${file.filename} answered ${status}`);
    let path: string | undefined;
    if (opts.outDir) {
      const dir = join(
        opts.outDir,
        ...file.subfolder.split('/').filter((part) => part && part !== '..' && part !== '.'),
      );
      await mkdir(dir, { recursive: true });
      path = join(dir, basename(file.filename));
      await writeFile(path, bytes);
    }
    saved.push({ ...file, path, bytes: bytes.length });
  }
  return saved;
}
