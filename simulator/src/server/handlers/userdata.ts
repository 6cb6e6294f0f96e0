/**
 * @fileoverview ComfyUI's userdata API (app/user_manager.py, single-user mode): the files of the
 * `default` user under the replica's user directory, listed (`/userdata?dir=`, with `recurse`,
 * `full_info`, `split`; `/v2/userdata?path=`), read, written (atomically; `overwrite=false` → 409),
 * deleted and moved, each confined to the user's folder (403 outside it, as ComfyUI answers). The
 * Workflows sidebar lists and saves through it.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import type { ReplicaContext } from '../../context';
import type { Ctx } from '../http-kit';
import { empty, json, type Reply } from '../../../../kit/aiohttp-reply';

const text = (status: number, body = ''): Reply => ({ status, text: body });

const userRoot = (ctx: ReplicaContext) => join(ctx.userDir, 'default');

/** folder_paths.is_within_directory: the absolute path stays inside `root`. */
function userPath(ctx: ReplicaContext, file: string): string | undefined {
  const root = userRoot(ctx);
  const path = resolve(root, file);
  return path === root || path.startsWith(root + sep) ? path : undefined;
}

const posix = (path: string) => path.split(sep).join('/');

/** Python's glob skips names starting with a dot; os.walk does not. */
async function walk(dir: string, recurse: boolean, hidden: boolean): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!hidden && entry.name.startsWith('.')) continue;
    const full = join(dir, entry.name);
    if (entry.isFile()) found.push(full);
    else if (entry.isDirectory() && recurse) found.push(...(await walk(full, recurse, hidden)));
  }
  return found.sort();
}

async function fileInfo(path: string, relativeTo: string) {
  const info = await stat(path);
  return {
    path: posix(relative(relativeTo, path)),
    size: info.size,
    modified: Math.floor(info.mtimeMs),
    created: Math.floor(info.ctimeMs),
  };
}

export async function listUserdata(ctx: ReplicaContext, http: Ctx): Promise<Reply> {
  const dir = http.url.searchParams.get('dir') ?? '';
  if (!dir) return text(400, 'Directory not provided');
  const path = userPath(ctx, dir);
  if (!path) return text(403, 'Invalid directory');
  if (!existsSync(path)) return text(404, 'Directory not found');
  const flag = (name: string) => (http.url.searchParams.get(name) ?? '').toLowerCase() === 'true';
  const recurse = flag('recurse');
  const fullInfo = flag('full_info');
  const split = flag('split');
  const files = await walk(path, recurse, false);
  if (fullInfo) return json(await Promise.all(files.map((f) => fileInfo(f, path))));
  return json(
    files.map((f) => {
      const rel = posix(relative(path, f));
      return split ? [rel, ...rel.split('/')] : rel;
    }),
  );
}

export async function listUserdataV2(ctx: ReplicaContext, http: Ctx): Promise<Reply> {
  const requested = http.url.searchParams.get('path') ?? '';
  const base = userRoot(ctx);
  const target = requested ? userPath(ctx, requested) : base;
  if (!target) return text(400, 'Invalid path requested');
  if (!existsSync(target))
    return target === base ? json([]) : text(404, 'Requested path not found');
  if (!(await stat(target)).isDirectory()) return text(400, 'Requested path is not a directory');
  type Entry = {
    name: string;
    path: string;
    type: 'file' | 'directory';
    size?: number;
    modified?: number;
  };
  const results: Entry[] = [];
  const visit = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const e of entries.filter((x) => x.isDirectory()))
      results.push({
        name: e.name,
        path: posix(relative(base, join(dir, e.name))),
        type: 'directory',
      });
    for (const e of entries.filter((x) => x.isFile())) {
      const full = join(dir, e.name);
      const info = await stat(full);
      results.push({
        name: e.name,
        path: posix(relative(base, full)),
        type: 'file',
        size: info.size,
        modified: info.mtimeMs / 1000,
      });
    }
    for (const e of entries.filter((x) => x.isDirectory())) await visit(join(dir, e.name));
  };
  await visit(target);
  results.sort(
    (a, b) =>
      Number(a.type !== 'directory') - Number(b.type !== 'directory') ||
      a.name.toLowerCase().localeCompare(b.name.toLowerCase()),
  );
  return json(results);
}

/** get_user_data_path: 400 without a name, 403 outside the user's folder, 404 when it must exist. */
function dataPath(ctx: ReplicaContext, http: Ctx, param: string, mustExist: boolean) {
  const file = http.params[param];
  if (!file) return empty(400);
  const path = userPath(ctx, file);
  if (!path) return empty(403);
  if (mustExist && !existsSync(path)) return empty(404);
  return path;
}

const CONTENT_TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.css': 'text/css',
  '.txt': 'text/plain',
};

export async function getUserdata(ctx: ReplicaContext, http: Ctx): Promise<Reply> {
  const path = dataPath(ctx, http, 'file', true);
  if (typeof path !== 'string') return path;
  const body = await readFile(path, 'utf8');
  return {
    status: 200,
    text: body,
    contentType: CONTENT_TYPES[extname(path)] ?? 'application/octet-stream',
  };
}

async function answerPath(path: string, ctx: ReplicaContext, http: Ctx): Promise<Reply> {
  const full = (http.url.searchParams.get('full_info') ?? 'false').toLowerCase() === 'true';
  return json(full ? await fileInfo(path, userRoot(ctx)) : relative(userRoot(ctx), path));
}

export async function postUserdata(ctx: ReplicaContext, http: Ctx): Promise<Reply> {
  const path = dataPath(ctx, http, 'file', false);
  if (typeof path !== 'string') return path;
  const overwrite = http.url.searchParams.get('overwrite') !== 'false';
  if (!overwrite && existsSync(path)) return text(409, 'File already exists');
  const body = await http.body();
  await mkdir(dirname(path), { recursive: true });
  const part = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(part, body);
  await rename(part, path);
  return answerPath(path, ctx, http);
}

export async function deleteUserdata(ctx: ReplicaContext, http: Ctx): Promise<Reply> {
  const path = dataPath(ctx, http, 'file', true);
  if (typeof path !== 'string') return path;
  await rm(path);
  return empty(204);
}

export async function moveUserdata(ctx: ReplicaContext, http: Ctx): Promise<Reply> {
  const source = dataPath(ctx, http, 'file', true);
  if (typeof source !== 'string') return source;
  const dest = dataPath(ctx, http, 'dest', false);
  if (typeof dest !== 'string') return dest;
  const overwrite = http.url.searchParams.get('overwrite') !== 'false';
  if (!overwrite && existsSync(dest)) return text(409, 'File already exists');
  await mkdir(dirname(dest), { recursive: true });
  await rename(source, dest);
  return answerPath(dest, ctx, http);
}
