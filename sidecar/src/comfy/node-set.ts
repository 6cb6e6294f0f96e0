/**
 * @fileoverview The node set a prompt is validated against and `/object_info` answers with: the
 * GPU's (relay copy) merged with the attendee's inert local-only nodes (shapes/node-set.ts). When no
 * GPU copy can be had in time (a cold serverless GPU seen for the first time, the relay away), the
 * attendee's own ComfyUI answers instead — with a log line — so Queue Prompt never waits for a GPU.
 * Queue Prompt does not even wait the bounded first time (`wait: false`): a prompt checked against
 * the local set is checked again by the GPU's own ComfyUI when the job is submitted there, and a
 * refusal then fails the job in ComfyUI's error shape (relay/src/backends/gpu-refusal.ts).
 */
import type { Logger } from '../logger';
import type { GpuCatalog, ObjectInfo } from '../relay/gpu-catalog';
import { RelayUnavailableError } from '../errors';
import { mergeObjectInfo } from '../shapes/node-set';
import type { LocalComfy } from './local-comfy';

export type NodeSet = {
  /**
   * `gpu`: the GPU's own set (to strip local-only nodes before submit); undefined on the local
   * fallback. `wait: false`: with no GPU copy yet, use the local set at once.
   */
  get(options?: {
    fresh?: boolean;
    wait?: boolean;
  }): Promise<{ merged: ObjectInfo; gpu?: ObjectInfo }>;
};

export function createNodeSet(deps: {
  catalog: GpuCatalog;
  local: LocalComfy;
  logger: Logger;
  ttlMs: number;
  now?: () => number;
}): NodeSet {
  const now = deps.now ?? Date.now;
  // The local set changes only when the local ComfyUI restarts (custom nodes load at start).
  let local: { value: unknown; at: number } | undefined;
  let reading: Promise<unknown> | undefined;
  deps.local.onBack(() => (local = undefined));
  // Merged once per pair of copies: the same objects come back until either copy is refreshed.
  let memo: { gpu: ObjectInfo; own: unknown; merged: ObjectInfo } | undefined;
  const merge = (gpu: ObjectInfo, own: unknown) => {
    if (memo?.gpu !== gpu || memo.own !== own)
      memo = { gpu, own, merged: mergeObjectInfo(gpu, own) };
    return memo.merged;
  };
  const localInfo = () => {
    if (local && now() - local.at < deps.ttlMs) return Promise.resolve(local.value);
    return (reading ??= deps.local
      .getJson('/object_info')
      .then((value) => {
        if (value !== undefined) local = { value, at: now() };
        return value ?? local?.value;
      })
      .finally(() => (reading = undefined)));
  };
  return {
    async get(options = {}) {
      const [gpu, own] = await Promise.all([deps.catalog.objectInfo(options), localInfo()]);
      if (gpu) return { merged: merge(gpu, own), gpu };
      if (own && typeof own === 'object') {
        deps.logger.warn(
          'the GPU node set is not available yet; using the attendee ComfyUI own /object_info',
        );
        return { merged: own as ObjectInfo };
      }
      throw new RelayUnavailableError(
        new Error('neither the GPU nor the local ComfyUI answered /object_info'),
      );
    },
  };
}
