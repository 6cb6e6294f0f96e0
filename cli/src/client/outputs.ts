/**
 * @fileoverview A finished job's files: listed from /api/history (or the `executed` messages when
 * history has none), fetched through /api/view like the browser's image previews, and saved.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { getJson, request, SubmitError, type SavedFile, type Target } from './http';

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
  const history = await getJson<
    Record<string, { outputs?: Record<string, Record<string, unknown>> }>
  >(target, `/api/history/${promptId}`).catch(() => ({}) as never);
  const outputs = history?.[promptId]?.outputs ?? fromWs;
  const saved: SavedFile[] = [];
  for (const file of filesOf(outputs)) {
    if (file.type === 'temp' && !opts.includeTemp) continue;
    const query = new URLSearchParams({
      filename: file.filename,
      subfolder: file.subfolder,
      type: file.type,
    });
    const res = await request(target, `/api/view?${query}`);
    if (!res.ok) throw new SubmitError(`GET /api/view for ${file.filename} answered ${res.status}`);
    const bytes = Buffer.from(await res.arrayBuffer());
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
