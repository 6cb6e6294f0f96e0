/**
 * @fileoverview The per-user output store: `OUTPUT_DIR/<userId>/<subfolder>/<stem>_00001_.png`
 * for outputs, `OUTPUT_DIR/.temp/<userId>/…` for temp (preview) items — ComfyUI's own naming,
 * with the counter continuing per user folder.
 *
 * Exactly once per source file, across relay restarts: the chosen name is recorded in Redis
 * before the file is linked into place, so a relay killed in between finishes the same name on
 * resume instead of making a second copy — unless the file under that name holds other bytes (another
 * job linked it while ours waited, e.g. on a Redis outage): then a new name is chosen. Files are written to a hidden temp name and then
 * hard-linked to their final name (link fails if the name is taken: atomic, also across processes).
 */
import { randomUUID } from 'node:crypto';
import {
  copyFile,
  link,
  mkdir,
  readdir,
  readFile,
  rename,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { basename, isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import { request } from 'undici';
import type { FoundOutput } from '../backends/backend';
import { RelayError } from '../errors';

export type StoredItem = { filename: string; subfolder: string; type: 'output' | 'temp' };

/** Where store decisions are recorded (the job store; a Map in unit tests). */
export type StoredIndex = {
  storedOutput(jobId: string, sourceKey: string): Promise<string | undefined>;
  recordStoredOutput(jobId: string, sourceKey: string, item: string): Promise<void>;
};

const pathEscape = (message: string) => new RelayError('path_escape', message);

/** A relative subfolder that stays inside its base ('' for the top level); throws path_escape otherwise. */
export function safeSubfolder(raw: string): string {
  const slashed = raw.replaceAll('\\', '/');
  if (slashed.includes('\0') || slashed.startsWith('/') || /^[A-Za-z]:/.test(slashed))
    throw pathEscape(`subfolder "${raw}" must be a relative folder such as "renders"`);
  const normal = posix.normalize(slashed || '.').replace(/\/+$/, '');
  if (normal === '..' || normal.startsWith('../'))
    throw pathEscape(`subfolder "${raw}" would leave the output folder`);
  return normal === '.' ? '' : normal;
}

/** ComfyUI's next counter: 1 + the highest N of `<stem>_<N>…` in the folder (case-insensitive, any extension). */
export async function nextCounter(dir: string, stem: string): Promise<number> {
  let max = 0;
  const lower = `${stem.toLowerCase()}_`;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!name.toLowerCase().startsWith(lower)) continue;
    const digits = name.slice(lower.length).split('_')[0] ?? '';
    if (/^\d+$/.test(digits)) max = Math.max(max, Number(digits));
  }
  return max + 1;
}

export class OutputStore {
  private readonly inflight = new Map<string, Promise<StoredItem>>();

  constructor(
    readonly root: string,
    private readonly index: StoredIndex,
  ) {}

  userDir(userId: string, type: 'output' | 'temp'): string {
    return type === 'output' ? join(this.root, userId) : join(this.root, '.temp', userId);
  }

  /** Copy a found output into the user's store once; later calls for the same source return the same item. */
  store(userId: string, jobId: string, found: FoundOutput): Promise<StoredItem> {
    const source = 'path' in found.source ? found.source.path : found.source.url;
    const key = `${found.nodeId}|${found.type}|${source}`;
    const flightKey = `${jobId}|${key}`;
    let flight = this.inflight.get(flightKey);
    if (!flight) {
      flight = this.storeOnce(userId, jobId, key, found).finally(() =>
        this.inflight.delete(flightKey),
      );
      this.inflight.set(flightKey, flight);
    }
    return flight;
  }

  private async storeOnce(
    userId: string,
    jobId: string,
    key: string,
    found: FoundOutput,
  ): Promise<StoredItem> {
    const prefix = safeSubfolder(found.originalPrefix);
    if (prefix === '') throw pathEscape(`output prefix "${found.originalPrefix}" names no file`);
    const subfolder = posix.dirname(prefix) === '.' ? '' : posix.dirname(prefix);
    const stem = posix.basename(prefix);
    const dir = join(this.userDir(userId, found.type), subfolder);
    await mkdir(dir, { recursive: true });

    const recorded = await this.index.storedOutput(jobId, key);
    let fetched: string | undefined;
    if (recorded) {
      const item = JSON.parse(recorded) as StoredItem;
      const target = join(dir, item.filename);
      if (!(await exists(target))) {
        // Killed after choosing the name and before placing the file: finish that same name.
        const tmp = await this.fetchToTemp(dir, found);
        await rename(tmp, target);
        return item;
      }
      // The name is taken: by our own copy, or by another job that linked it while our link was pending
      // (Redis went away between recording the name and a retry). Only our own bytes make it ours.
      fetched = await this.fetchToTemp(dir, found).catch(() => undefined);
      if (!fetched || (await sameBytes(fetched, target))) {
        if (fetched) await unlink(fetched).catch(() => undefined);
        return item;
      }
    }

    const tmp = fetched ?? (await this.fetchToTemp(dir, found));
    try {
      const ext =
        found.extension.startsWith('.') || found.extension === ''
          ? found.extension
          : `.${found.extension}`;
      for (let counter = await nextCounter(dir, stem); ; counter++) {
        const filename = `${stem}_${String(counter).padStart(5, '0')}_${ext}`;
        if (await exists(join(dir, filename))) continue;
        const item: StoredItem = { filename, subfolder, type: found.type };
        await this.index.recordStoredOutput(jobId, key, JSON.stringify(item));
        try {
          await link(tmp, join(dir, filename));
          return item;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        }
      }
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
  }

  private async fetchToTemp(dir: string, found: FoundOutput): Promise<string> {
    const tmp = join(dir, `.part-${randomUUID()}`);
    if ('path' in found.source) {
      await copyFile(found.source.path, tmp);
      return tmp;
    }
    const response = await request(found.source.url, {
      headers: found.source.headers,
      headersTimeout: 30_000,
      bodyTimeout: 60_000,
    });
    if (response.statusCode !== 200) {
      await response.body.dump();
      throw new RelayError(
        'backend_unavailable',
        `fetching output ${basename(found.source.url.split('?')[0] ?? '')} from the GPU failed with HTTP ${response.statusCode}`,
      );
    }
    // Read the whole body, then write it: a body paused by a slow disk when the GPU closes the
    // connection crashes the process inside undici 7 (nodejs/undici#5360; fixed in undici 8, which
    // needs Node 22). Outputs are images and short videos: memory is cheaper than a dead relay.
    await writeFile(tmp, Buffer.from(await response.body.arrayBuffer()));
    return tmp;
  }

  /** The absolute path of a stored file for GET /api/view, after ComfyUI /view's checks. */
  async resolve(
    userId: string,
    query: { filename?: string; subfolder?: string; type?: string },
  ): Promise<string> {
    const type = query.type ?? 'output';
    if (type !== 'output' && type !== 'temp')
      throw new RelayError('bad_request', `type "${type}" is not output or temp`);
    const name = query.filename ?? '';
    if (!name) throw new RelayError('not_found', 'no filename given');
    if (name.startsWith('/') || name.includes('..') || name.includes('\0') || isAbsolute(name))
      throw pathEscape(`filename "${name}" must be a plain file name`);
    const base = this.userDir(userId, type);
    const subfolder = query.subfolder ? safeSubfolder(query.subfolder) : '';
    const folder = resolve(base, subfolder);
    const rel = relative(base, folder);
    if (rel.startsWith('..') || isAbsolute(rel) || rel.split(sep).includes('..'))
      throw pathEscape(`subfolder "${query.subfolder}" leaves your output folder`);
    const file = join(folder, basename(name));
    if (basename(file).startsWith('.part-'))
      throw new RelayError('not_found', `${name} was not found`);
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile())
      throw new RelayError(
        'not_found',
        `${subfolder ? `${subfolder}/` : ''}${basename(name)} (${type}) was not found in your outputs`,
      );
    return file;
  }
}

/** Whether two files hold the same bytes (outputs are images and short videos: read whole). */
async function sameBytes(a: string, b: string): Promise<boolean> {
  const [sa, sb] = await Promise.all([stat(a), stat(b)]);
  if (sa.size !== sb.size) return false;
  const [ba, bb] = await Promise.all([readFile(a), readFile(b)]);
  return ba.equals(bb);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
