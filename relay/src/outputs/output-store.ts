/**
 * @fileoverview The per-user output store: `OUTPUT_DIR/<userId>/<subfolder>/<stem>_00001_.png`
 * for outputs, `OUTPUT_DIR/.temp/<userId>/…` for temp (preview) items — ComfyUI's own naming
 * (kit/output-files/comfy-names.ts), with the counter continuing per user folder.
 *
 * Exactly once per source file, across relay restarts: the chosen name is recorded in Redis
 * before the file is linked into place (kit/output-files/placement.ts), so a relay killed in
 * between finishes the same name on resume instead of making a second copy — unless the file
 * under that name holds other bytes (another job linked it while ours waited, e.g. on a Redis
 * outage): then a new name is chosen.
 */
import { stat } from 'node:fs/promises';
import { basename, isAbsolute, join, posix } from 'node:path';
import { request } from 'undici';
import { counterName, nextCounterIn } from '../../../kit/output-files/comfy-names';
import {
  confinedFolder,
  PathEscape,
  reallyInside,
  subfolderOf,
} from '../../../kit/output-files/confine';
import {
  dropPart,
  holdsSameBytes,
  isPartName,
  isPlacedFile,
  linkUnderFreeName,
  renamePart,
  writePart,
} from '../../../kit/output-files/placement';
import type { FoundOutput } from '../backends/backend';
import { RelayError } from '../errors';

export type StoredItem = { filename: string; subfolder: string; type: 'output' | 'temp' };

/** Where store decisions are recorded (the job store; a Map in unit tests). */
export type StoredIndex = {
  storedOutput(jobId: string, sourceKey: string): Promise<string | undefined>;
  recordStoredOutput(jobId: string, sourceKey: string, item: string): Promise<void>;
};

const pathEscape = (message: string) => new RelayError('path_escape', message);

/** kit's subfolder rule as the relay refuses it: a RelayError path_escape ('' for the top level). */
export function safeSubfolder(raw: string): string {
  try {
    return subfolderOf(raw);
  } catch (error) {
    if (error instanceof PathEscape) throw pathEscape(error.message);
    throw error;
  }
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
    // Every path below copies the bytes: the download starts now, alongside the folder and Redis look-ups.
    const bytes = this.download(found);
    bytes.catch(() => undefined); // awaited below; a look-up failing first must not leave it unhandled
    const toPart = async (dir: string) => writePart(dir, await bytes);
    const [dir, recorded] = await Promise.all([
      confinedFolder(this.userDir(userId, found.type), subfolder),
      this.index.storedOutput(jobId, key),
    ]);
    if (!dir) throw pathEscape(`output subfolder "${subfolder}" leads out of the user's folder`);

    let fetched: string | undefined;
    if (recorded) {
      const item = JSON.parse(recorded) as StoredItem;
      const target = join(dir, item.filename);
      if (!(await isPlacedFile(target))) {
        // Killed after choosing the name and before placing the file: finish that same name.
        await renamePart(await toPart(dir), target);
        return item;
      }
      // The name is taken: by our own copy, or by another job that linked it while our link was pending
      // (Redis went away between recording the name and a retry). Only our own bytes make it ours.
      fetched = await toPart(dir).catch(() => undefined);
      if (!fetched || (await holdsSameBytes(fetched, target))) {
        if (fetched) await dropPart(fetched);
        return item;
      }
    }

    const part = fetched ?? (await toPart(dir));
    try {
      const nameAt = async () => counterName(stem, await nextCounterIn(dir, stem), found.extension);
      const filename = await linkUnderFreeName(part, dir, {
        first: await nameAt(),
        next: nameAt,
        beforeLink: (name) =>
          this.index.recordStoredOutput(
            jobId,
            key,
            JSON.stringify({ filename: name, subfolder, type: found.type }),
          ),
      });
      return { filename, subfolder, type: found.type };
    } finally {
      await dropPart(part);
    }
  }

  /** The bytes of a found output named by URL; one on a path is copied from there when placed. */
  private async download(found: FoundOutput): Promise<Uint8Array | { copyOf: string }> {
    if ('path' in found.source) return { copyOf: found.source.path };
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
    return Buffer.from(await response.body.arrayBuffer());
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
    const file = join(base, subfolder, basename(name));
    if (isPartName(basename(file))) throw new RelayError('not_found', `${name} was not found`);
    // By real path: a symlink in the folder that leads out of it is no file of the user's.
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile() || !(await reallyInside(base, file)))
      throw new RelayError(
        'not_found',
        `${subfolder ? `${subfolder}/` : ''}${basename(name)} (${type}) was not found in your outputs`,
      );
    return file;
  }
}
