/**
 * @fileoverview The GPU's node set (`/object_info`) for the sidecars' prompt validation, served
 * stale-while-revalidate from memory and Redis. A serverless GPU scaled to zero can take minutes
 * to answer, and an attendee's Queue Prompt must not wait for that: once any relay of this
 * deployment has seen the node set, every later request answers at once from the last good copy
 * and refreshes it in the background. Only the very first fetch of a deployment waits for a GPU.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RelayError } from '../errors';
import type { Backend } from './backend';

export type ObjectInfo = Record<string, unknown>;

export type ObjectInfoCacheOptions = {
  redis: Redis;
  key: string;
  backends: readonly Backend[];
  logger: Logger;
  /** A copy younger than this is served without a refresh (default 60 s). */
  freshMs?: number;
  now?: () => number;
};

export class ObjectInfoCache {
  private copy: { at: number; value: ObjectInfo } | undefined;
  private refreshing: Promise<ObjectInfo> | undefined;

  constructor(private readonly options: ObjectInfoCacheOptions) {}

  private get now(): number {
    return (this.options.now ?? Date.now)();
  }

  async get(): Promise<ObjectInfo> {
    this.copy ??= await this.readStored();
    if (!this.copy) return this.refresh(); // first ever: nothing to serve but the GPU's own answer
    if (this.now - this.copy.at >= (this.options.freshMs ?? 60_000)) {
      void this.refresh().catch(() => undefined); // logged in refresh; the stale copy is served meanwhile
    }
    return this.copy.value;
  }

  /** Asks the backends in turn (single flight); stores the first good answer in memory and Redis. */
  refresh(): Promise<ObjectInfo> {
    this.refreshing ??= (async () => {
      const errors: string[] = [];
      for (const backend of this.options.backends) {
        try {
          const value = await backend.objectInfo();
          this.copy = { at: this.now, value };
          await this.options.redis
            .set(this.options.key, JSON.stringify(this.copy))
            .catch((error: Error) => this.options.logger.warn({ err: error.message }, 'could not store object_info in Redis'));
          return value;
        } catch (error) {
          errors.push(`${backend.name}: ${(error as Error).message}`);
        }
      }
      this.options.logger.warn({ errors }, 'no GPU answered /object_info');
      throw new RelayError('backend_unavailable', `no GPU answered /object_info (${errors.join('; ') || 'no backends'})`);
    })().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async readStored(): Promise<{ at: number; value: ObjectInfo } | undefined> {
    try {
      const raw = await this.options.redis.get(this.options.key);
      if (!raw) return undefined;
      const parsed = JSON.parse(raw) as { at?: unknown; value?: unknown };
      if (typeof parsed.at !== 'number' || !parsed.value || typeof parsed.value !== 'object') return undefined;
      return { at: parsed.at, value: parsed.value as ObjectInfo };
    } catch {
      return undefined; // Redis away or a damaged copy: fall back to asking the GPU
    }
  }
}
