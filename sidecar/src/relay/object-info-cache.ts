/**
 * @fileoverview The GPU's node set (`GET {relay}/api/object_info`) for validating prompts, cached
 * for a TTL with single-flight refreshes. A failed refresh falls back to the stale copy; only with
 * no copy at all does validation fail (the relay is then unreachable anyway).
 */
import type { ComfyNodeDef } from '../../../protocol/src/comfy/http';
import type { Logger } from '../logger';
import type { RelayClient } from './relay-client';

export type ObjectInfo = Record<string, ComfyNodeDef>;

export type ObjectInfoCache = {
  get(options?: { maxAgeMs?: number }): Promise<ObjectInfo>;
};

export function createObjectInfoCache(relay: RelayClient, ttlMs: number, logger: Logger, now = Date.now): ObjectInfoCache {
  let value: ObjectInfo | undefined;
  let fetchedAt = 0;
  let inFlight: Promise<ObjectInfo> | undefined;

  const refresh = () =>
    (inFlight ??= relay
      .objectInfo()
      .then((info) => {
        value = info as ObjectInfo;
        fetchedAt = now();
        return value;
      })
      .catch((error: unknown) => {
        if (!value) throw error;
        logger.warn({ err: error instanceof Error ? error.message : error }, 'object_info refresh failed; using the cached one');
        return value;
      })
      .finally(() => (inFlight = undefined)));

  return {
    async get(options = {}) {
      const maxAge = options.maxAgeMs ?? ttlMs;
      if (value && now() - fetchedAt < maxAge) return value;
      return refresh();
    },
  };
}
