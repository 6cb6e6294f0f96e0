/**
 * @fileoverview What the GPU has — its `/object_info` (for the sidecars' prompt validation and the
 * attendee's node list) and its model listings (`/models`, `/models/{folder}`, `/embeddings`,
 * `/experiment/models[/{folder}]`, so Load Checkpoint lists the GPU's files) — served
 * stale-while-revalidate from memory and Redis. A serverless GPU scaled to zero can take minutes to
 * answer, and an attendee must not wait for that: once any relay of this deployment has seen an
 * answer, every later request is served at once from the last good copy and refreshed in the
 * background. Only the very first read of a route waits for a GPU. `fresh` (a prompt naming a node
 * the copy lacks) asks the GPU now, past the backends' own caches, for at most `freshWaitMs`.
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
  now?: () => number;
};

/** The GPU routes the relay relays: read-only listings, a model folder name at most (no path characters). */
const LISTING = /^\/(?:object_info|models|embeddings|experiment\/models)$/;
const FOLDER_ROUTE = /^\/(?:models|experiment\/models)\/([A-Za-z0-9_][A-Za-z0-9_.-]{0,63})$/;

export const isGpuRoute = (path: string): boolean => LISTING.test(path) || FOLDER_ROUTE.test(path);

type Copy = { at: number; value: unknown };

/** The GPU said the route does not exist there (e.g. an unknown model folder). */
export class GpuNotFound extends RelayError {
  constructor(path: string) {
    super('not_found', `the GPU has no ${path}`);
  }
}

export class ObjectInfoCache {
  private readonly copies = new Map<string, Copy>();
  private readonly refreshing = new Map<string, Promise<unknown>>();

  constructor(private readonly options: ObjectInfoCacheOptions) {}

  private get now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** The GPU's /object_info (see `read`). */
  async get(options: { fresh?: boolean } = {}): Promise<ObjectInfo> {
    return (await this.read('/object_info', options)) as ObjectInfo;
  }

  /** Asks the GPU for /object_info now (single flight), storing the answer. */
  refresh(): Promise<ObjectInfo> {
    return this.fetch('/object_info') as Promise<ObjectInfo>;
  }

  /** A GPU route's last good answer; waits for the GPU only when there is none (or `fresh`, bounded). */
  async read(path: string, options: { fresh?: boolean } = {}): Promise<unknown> {
    if (!isGpuRoute(path))
      throw new RelayError('bad_request', `${path} is not a GPU listing the relay serves`);
    const folder = FOLDER_ROUTE.exec(path)?.[1];
    if (folder) await this.checkFolder(path, folder);
    let copy = this.copies.get(path) ?? (await this.readStored(path));
    if (copy) this.copies.set(path, copy);
    if (!copy) return this.fetch(path, { uncached: options.fresh }); // first ever: nothing to serve but the GPU's own answer
    if (options.fresh) {
      const fresh = this.fetch(path, { uncached: true });
      const waited = await Promise.race([fresh, delay(this.options.freshWaitMs ?? 10_000)]).catch(
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

  /** Asks the backends in turn (single flight per route); stores the first good answer in memory and Redis. */
  private fetch(path: string, options: { uncached?: boolean } = {}): Promise<unknown> {
    let flight = this.refreshing.get(path);
    if (flight) return flight;
    flight = (async () => {
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
