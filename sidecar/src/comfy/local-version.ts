/**
 * @fileoverview The attendee's ComfyUI version (`GET /system_stats` → `system.comfyui_version`), so
 * the sidecar answers as that version would (error bodies, the jobs API, the message sequence).
 * Read at start, kept, and read again when the local ComfyUI comes back after being unreachable (a
 * restart may be an upgrade) and at most every `maxAgeMs` otherwise. Callers get the last known
 * value at once: detection never delays an answer.
 */
import { comfyFlavor, type ComfyFlavor } from '../../../protocol/src/comfy/validate';
import { isDict } from '../../../protocol/src/comfy/py-values';
import type { Logger } from '../logger';
import type { LocalComfy } from './local-comfy';

export type LocalVersion = {
  /** e.g. '0.8.0'; undefined until the local ComfyUI has answered once. */
  version(): string | undefined;
  /** Which generation's answers to give (the newest while the version is unknown). */
  flavor(): ComfyFlavor;
  /** Reads /system_stats now; resolves with the version (or the previous one when it did not answer). */
  refresh(): Promise<string | undefined>;
  /**
   * The generation to answer as, waiting (at most `waitMs`) for a first read when none succeeded yet,
   * so the first answers after a start are already the right version's.
   */
  settled(): Promise<ComfyFlavor>;
};

export type LocalVersionOptions = {
  /** A known version older than this is read again in the background on the next use. */
  maxAgeMs?: number;
  /** While unknown, at most one attempt per this interval. */
  retryMs?: number;
  /** How long `settled()` waits for a first read. */
  waitMs?: number;
  now?: () => number;
};

/** `system.comfyui_version` of a /system_stats body, if it has one. */
export function versionOf(stats: unknown): string | undefined {
  const system = isDict(stats) ? stats.system : undefined;
  const version = isDict(system) ? system.comfyui_version : undefined;
  return typeof version === 'string' && version.trim() ? version.trim() : undefined;
}

export function createLocalVersion(
  local: LocalComfy,
  logger: Logger,
  options: LocalVersionOptions = {},
): LocalVersion {
  const now = options.now ?? Date.now;
  const maxAgeMs = options.maxAgeMs ?? 60_000;
  const retryMs = options.retryMs ?? 2_000;
  let known: string | undefined;
  let readAt = 0;
  let triedAt = -Infinity;
  let inFlight: Promise<string | undefined> | undefined;

  const refresh = () =>
    (inFlight ??= (async () => {
      triedAt = now();
      const read = versionOf(await local.getJson('/system_stats'));
      if (read) {
        if (read !== known)
          logger.info({ version: read, before: known }, 'local ComfyUI version detected');
        known = read;
        readAt = now();
      }
      return known;
    })().finally(() => (inFlight = undefined)));

  const maybeRefresh = () => {
    const due = known === undefined ? now() - triedAt >= retryMs : now() - readAt >= maxAgeMs;
    if (due) void refresh();
  };

  local.onBack(() => void refresh());

  return {
    version() {
      maybeRefresh();
      return known;
    },
    flavor() {
      maybeRefresh();
      return comfyFlavor(known);
    },
    refresh,
    async settled() {
      if (known === undefined) {
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<undefined>(
          (resolve) => (timer = setTimeout(() => resolve(undefined), options.waitMs ?? 2_000)),
        );
        await Promise.race([refresh(), late]).finally(() => clearTimeout(timer));
      }
      return comfyFlavor(known);
    },
  };
}
