/**
 * @fileoverview What the GPU has — its `/object_info` (for the sidecars' prompt validation and the
 * attendee's node list) and its model listings (`/models`, `/models/{folder}`, `/embeddings`,
 * `/experiment/models[/{folder}]`, so Load Checkpoint lists the GPU's files) — served
 * stale-while-revalidate from memory and Redis. The relay's only copy: the backends keep none, they
 * are asked when this module decides. A serverless GPU scaled to zero can take minutes to answer,
 * and an attendee must not wait for that: once any relay of this deployment has seen an answer,
 * every later request is served at once from the last good copy and refreshed in the background.
 * Only the very first read of a route waits for a GPU.
 *
 * `fresh` (a prompt naming a node or model the copy lacks: the sidecar's one look again) asks the
 * GPU itself, in a request started after the read arrived, and waits for it at most `freshWaitMs`.
 * Fresh reads arriving while the GPU is being asked share one follow-up request, and one user makes
 * the GPU answer at most once per `userRefreshMs` (across relays, in Redis): within it their fresh
 * reads get the newest copy any relay stored, at once. A flood of prompts naming unknown nodes
 * thus costs the GPU one request per user per interval at most.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RelayError } from '../errors';
import type { Backend } from './backend';

export type ObjectInfo = Record<string, unknown>;

export type ObjectInfoCacheOptions = {
  redis: Redis;
  /** Redis key of the object_info copy; other routes are kept under `<key>:<path>`. */
  key: string;
  backends: readonly Backend[];
  logger: Logger;
  /** A copy younger than this is served without a refresh (default 60 s). */
  freshMs?: number;
  /** How long a `fresh` read waits for the GPU before the copy is served instead (default 10 s). */
  freshWaitMs?: number;
  /** One user's fresh reads ask the GPU at most once per this long (default 10 s; 0: no limit). */
  userRefreshMs?: number;
  /** Redis key marking a user's fresh read of a route that asked the GPU (expires after `userRefreshMs`). */
  askedKey?: (user: string, path: string) => string;
  now?: () => number;
};

/** The GPU routes the relay relays: read-only listings, a model folder name at most (no path characters). */
const LISTING = /^\/(?:object_info|models|embeddings|experiment\/models)$/;
const FOLDER_ROUTE = /^\/(?:models|experiment\/models)\/([A-Za-z0-9_][A-Za-z0-9_.-]{0,63})$/;

export const isGpuRoute = (path: string): boolean => LISTING.test(path) || FOLDER_ROUTE.test(path);

type Copy = { at: number; value: unknown };

/** `fresh`: ask the GPU now (bounded); `user`: who asks, for the per-user limit on fresh reads. */
export type ReadOptions = { fresh?: boolean; user?: string };

/** The GPU said the route does not exist there (e.g. an unknown model folder). */
export class GpuNotFound extends RelayError {
  constructor(path: string) {
    super('not_found', `the GPU has no ${path}`);
  }
}

export class ObjectInfoCache {
  private readonly copies = new Map<string, Copy>();
  /** The GPU request under way, per route. */
  private readonly refreshing = new Map<string, Promise<unknown>>();
  /** The one request that starts when the current one ends, shared by the fresh reads that wait for it. */
  private readonly following = new Map<string, Promise<unknown>>();

  constructor(private readonly options: ObjectInfoCacheOptions) {}

  private get now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** The GPU's /object_info (see `read`). */
  async get(options: ReadOptions = {}): Promise<ObjectInfo> {
    return (await this.read('/object_info', options)) as ObjectInfo;
  }

  /** A GPU route's last good answer; waits for the GPU only when there is none (or `fresh`, bounded). */
  async read(path: string, options: ReadOptions = {}): Promise<unknown> {
    if (!isGpuRoute(path))
      throw new RelayError('bad_request', `${path} is not a GPU listing the relay serves`);
    const folder = FOLDER_ROUTE.exec(path)?.[1];
    if (folder) await this.checkFolder(path, folder);
    let copy = this.copies.get(path) ?? (await this.readStored(path));
    if (copy) this.copies.set(path, copy);
    if (!copy) return this.fetch(path, { uncached: options.fresh }); // first ever: nothing to serve but the GPU's own answer
    let fresh = options.fresh === true;
    if (fresh && !(await this.mayAskGpu(path, options.user))) {
      // Past this user's limit: the newest copy any relay stored (another user's look included).
      fresh = false;
      const stored = await this.readStored(path);
      if (stored && stored.at > copy.at) this.copies.set(path, (copy = stored));
    }
    if (fresh) {
      const asked = this.fetch(path, { uncached: true, after: true });
      const waited = await Promise.race([asked, delay(this.options.freshWaitMs ?? 10_000)]).catch(
        () => undefined,
      );
      copy = this.copies.get(path) ?? copy;
      return waited ?? copy.value;
    }
    if (this.now - copy.at >= (this.options.freshMs ?? 60_000)) {
      void this.fetch(path).catch(() => undefined); // logged in fetch; the stale copy is served meanwhile
    }
    return copy.value;
  }

  /** A folder route exists on the GPU only for a folder its `/models` lists: nothing else is asked. */
  private async checkFolder(path: string, folder: string): Promise<void> {
    const folders = await this.read('/models');
    if (!Array.isArray(folders) || !folders.includes(folder)) throw new GpuNotFound(path);
  }

  /**
   * Whether this fresh read may ask the GPU: one per user per `userRefreshMs`, counted in Redis so
   * that every relay keeps the same limit. Reads without a user (the relay's own) are not limited;
   * with Redis away the copy is served (the GPU is not asked on a guess).
   */
  private async mayAskGpu(path: string, user: string | undefined): Promise<boolean> {
    const every = this.options.userRefreshMs ?? 10_000;
    if (user === undefined || every <= 0) return true;
    const key = this.options.askedKey?.(user, path) ?? `${this.options.key}:asked:${user}:${path}`;
    try {
      return (await this.options.redis.set(key, '1', 'PX', every, 'NX')) === 'OK';
    } catch (error) {
      this.options.logger.warn(
        { err: (error as Error).message, user, path },
        'could not count a fresh GPU read; serving the copy',
      );
      return false;
    }
  }

  /**
   * Asks the backends in turn (single flight per route); stores the first good answer in memory and
   * Redis. `after`: an answer to a request started after this call — with one under way, the one
   * request that follows it, shared by every such call meanwhile.
   */
  private fetch(
    path: string,
    options: { uncached?: boolean; after?: boolean } = {},
  ): Promise<unknown> {
    const current = this.refreshing.get(path);
    if (current && !options.after) return current;
    if (current) {
      let next = this.following.get(path);
      if (!next) {
        next = current
          .then(
            () => undefined,
            () => undefined,
          )
          .then(() => {
            this.following.delete(path);
            return this.refreshing.get(path) ?? this.fetch(path, { uncached: options.uncached });
          });
        this.following.set(path, next);
      }
      return next;
    }
    const flight = (async () => {
      const errors: string[] = [];
      for (const backend of this.options.backends) {
        try {
          const value = await this.ask(backend, path, options.uncached === true);
          const copy = { at: this.now, value };
          this.copies.set(path, copy);
          await this.options.redis
            .set(this.storeKey(path), JSON.stringify(copy))
            .catch((error: Error) =>
              this.options.logger.warn(
                { err: error.message, path },
                'could not store a GPU listing in Redis',
              ),
            );
          return value;
        } catch (error) {
          if (error instanceof GpuNotFound) throw error;
          errors.push(`${backend.name}: ${(error as Error).message}`);
        }
      }
      this.options.logger.warn({ errors, path }, 'no GPU answered');
      throw new RelayError(
        'backend_unavailable',
        `no GPU answered ${path} (${errors.join('; ') || 'no backends'})`,
      );
    })().finally(() => this.refreshing.delete(path));
    this.refreshing.set(path, flight);
    return flight;
  }

  private async ask(backend: Backend, path: string, uncached: boolean): Promise<unknown> {
    if (path === '/object_info' && (!uncached || !backend.readComfy)) return backend.objectInfo();
    if (!backend.readComfy) throw new Error(`backend ${backend.name} cannot read ${path}`);
    const { status, body } = await backend.readComfy(path);
    if (status === 404) throw new GpuNotFound(path);
    if (status !== 200 || body === undefined || typeof body === 'string')
      throw new Error(`${path} answered HTTP ${status}`);
    return body;
  }

  private storeKey(path: string): string {
    return path === '/object_info' ? this.options.key : `${this.options.key}:${path}`;
  }

  private async readStored(path: string): Promise<Copy | undefined> {
    try {
      const raw = await this.options.redis.get(this.storeKey(path));
      if (!raw) return undefined;
      const parsed = JSON.parse(raw) as { at?: unknown; value?: unknown };
      if (typeof parsed.at !== 'number' || parsed.value === undefined || parsed.value === null)
        return undefined;
      return { at: parsed.at, value: parsed.value };
    } catch {
      return undefined; // Redis away or a damaged copy: fall back to asking the GPU
    }
  }
}

function delay(ms: number): Promise<undefined> {
  return new Promise((resolve) => setTimeout(() => resolve(undefined), ms).unref());
}
