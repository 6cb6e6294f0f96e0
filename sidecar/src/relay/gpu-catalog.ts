/**
 * @fileoverview What the GPU has, as the relay keeps it: `/object_info` and the model listings
 * (`/models[/{folder}]`, `/embeddings`, `/experiment/models[/{folder}]`), cached here for a TTL with
 * single-flight refreshes per route. The sidecar's only copy of them: `fresh` (Queue Prompt's one
 * look again, when a prompt names a node or model the copy lacks) has the relay ask the GPU itself
 * (`?fresh=1`, bounded and limited per user there), never joining a plain fetch already under way
 * (which the relay answers from its copy). A failed refresh keeps the stale copy. With no copy yet (a
 * cold GPU, the relay away) a caller waits at most `waitMs` (or not at all: `wait: false`, Queue
 * Prompt) and gets `undefined` — the fetch goes on in the background and fills the cache — so
 * nothing the attendee does waits on a GPU.
 */
import type { ComfyNodeDef } from '../../../protocol/src/comfy/http';
import type { Logger } from '../logger';
import type { RelayClient } from './relay-client';

export type ObjectInfo = Record<string, ComfyNodeDef>;

/** `found: false`: the GPU has no such route (e.g. a model folder it does not know). */
export type Listing = { found: true; body: unknown } | { found: false };

export type GpuCatalog = {
  /**
   * The GPU's object_info; `fresh` asks the GPU again now (bounded). `wait: false`: with no copy
   * yet, answer undefined at once (the fetch still starts, in the background).
   */
  objectInfo(options?: { fresh?: boolean; wait?: boolean }): Promise<ObjectInfo | undefined>;
  /** The GPU's answer to a listing route, or undefined when none arrived in time. */
  listing(path: string): Promise<Listing | undefined>;
};

type Entry = {
  value?: Listing;
  fetchedAt: number;
  inFlight?: Promise<Listing>;
  /** The fetch under way asks the GPU itself (`fresh`), not the relay's copy. */
  inFlightFresh?: boolean;
};

export function createGpuCatalog(
  relay: RelayClient,
  options: { ttlMs: number; waitMs: number; logger: Logger; now?: () => number },
): GpuCatalog {
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();

  const fetchFrom = async (path: string, fresh: boolean): Promise<Listing> => {
    if (path === '/object_info') return { found: true, body: await relay.objectInfo({ fresh }) };
    const body = await relay.gpuListing(path);
    return body === undefined ? { found: false } : { found: true, body };
  };

  /** One fetch per route at a time; a fresh one asked during a plain one follows it. */
  const refresh = (path: string, entry: Entry, fresh: boolean): Promise<Listing> => {
    if (entry.inFlight && (entry.inFlightFresh || !fresh)) return entry.inFlight;
    const before = entry.inFlight?.then(
      () => undefined,
      () => undefined,
    );
    const flight: Promise<Listing> = (before ?? Promise.resolve())
      .then(() => fetchFrom(path, fresh))
      .then((value) => {
        entry.value = value;
        entry.fetchedAt = now();
        return value;
      })
      .catch((error: unknown) => {
        const stale = entry.value;
        options.logger.warn(
          { err: error instanceof Error ? error.message : error, path, stale: stale !== undefined },
          'GPU listing not refreshed from the relay',
        );
        if (stale) return stale;
        throw error;
      })
      .finally(() => {
        if (entry.inFlight !== flight) return;
        entry.inFlight = undefined;
        entry.inFlightFresh = false;
      });
    entry.inFlight = flight;
    entry.inFlightFresh = fresh;
    return flight;
  };

  async function get(path: string, fresh = false, wait = true): Promise<Listing | undefined> {
    let entry = entries.get(path);
    if (!entry) entries.set(path, (entry = { fetchedAt: 0 }));
    const age = now() - entry.fetchedAt;
    if (entry.value && !fresh && age < options.ttlMs) return entry.value;
    const flight = refresh(path, entry, fresh);
    if ((entry.value && !fresh) || !wait) {
      flight.catch(() => undefined); // stale-while-revalidate (or fill the cache for later): logged in refresh
      return entry.value;
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>(
      (resolve) => (timer = setTimeout(() => resolve(undefined), options.waitMs)),
    );
    const value = await Promise.race([flight.catch(() => undefined), late]).finally(() =>
      clearTimeout(timer),
    );
    return value ?? entry.value;
  }

  return {
    async objectInfo(opts = {}) {
      const listing = await get('/object_info', opts.fresh, opts.wait);
      return listing?.found && listing.body && typeof listing.body === 'object'
        ? (listing.body as ObjectInfo)
        : undefined;
    },
    listing: (path) => get(path),
  };
}
