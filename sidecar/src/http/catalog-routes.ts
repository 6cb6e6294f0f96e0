/**
 * @fileoverview What the attendee's UI lists comes from the GPU: `/object_info[/{class}]` (the GPU's
 * node set with the attendee's inert local-only nodes, comfy/node-set.ts) and the model listings
 * `/models[/{folder}]`, `/embeddings`, `/experiment/models[/{folder}]` (the GPU's, through the
 * relay), so Load Checkpoint offers the GPU's files. When the GPU's answer cannot be had in time, the
 * request goes on to the attendee's own ComfyUI (undefined = proxy it), with a log line.
 */
import type { NodeSet } from '../comfy/node-set';
import type { Logger } from '../logger';
import { pyJsonDumps } from '../../../protocol/src/comfy/py-format';
import type { GpuCatalog, ObjectInfo } from '../relay/gpu-catalog';
import { json, type Reply } from '../../../kit/aiohttp-reply';

/** ComfyUI's `web.Response(status=404)` for a model folder it does not have: empty, octet-stream. */
const NO_FOLDER: Reply = { status: 404, text: '', contentType: 'application/octet-stream' };

/** A model folder name ComfyUI could have (`folder_names_and_paths` keys): no path characters. */
const FOLDER = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

export function createCatalogRoutes(deps: { nodes: NodeSet; catalog: GpuCatalog; logger: Logger }) {
  const fallback = (path: string) => {
    deps.logger.warn(
      { path },
      "the GPU's listing is not available yet; the attendee ComfyUI answers",
    );
    return undefined;
  };

  const listing = async (path: string): Promise<Reply | undefined> => {
    const answer = await deps.catalog.listing(path);
    if (!answer) return fallback(path);
    return answer.found ? json(answer.body) : NO_FOLDER;
  };

  /** Only folders the GPU lists are asked for, so no name a client makes up is ever sent on. */
  const folderListing = async (route: string, folder: string): Promise<Reply | undefined> => {
    if (!FOLDER.test(folder)) return NO_FOLDER;
    const folders = await deps.catalog.listing('/models');
    if (!folders) return fallback(`${route}/${folder}`);
    if (!folders.found || !Array.isArray(folders.body) || !folders.body.includes(folder))
      return NO_FOLDER;
    return listing(`${route}/${folder}`);
  };

  // The whole set is large (≈1.3 MB for ComfyUI 0.27): serialised once per merged copy, not per page load.
  let serialised: { merged: ObjectInfo; reply: Reply } | undefined;
  const wholeSet = (merged: ObjectInfo): Reply => {
    if (serialised?.merged !== merged)
      serialised = {
        merged,
        reply: {
          status: 200,
          text: pyJsonDumps(merged),
          contentType: 'application/json; charset=utf-8',
        },
      };
    return serialised.reply;
  };

  const nodeSet = async () => {
    try {
      return (await deps.nodes.get()).merged;
    } catch {
      return undefined; // neither answered: the proxy gives the attendee's ComfyUI's own error
    }
  };

  return {
    async objectInfo(): Promise<Reply | undefined> {
      const merged = await nodeSet();
      return merged ? wholeSet(merged) : undefined;
    },
    /** ComfyUI answers `{}` for any class it does not have; the name is only ever a key. */
    async objectInfoClass(name: string): Promise<Reply | undefined> {
      const merged = await nodeSet();
      if (!merged) return undefined;
      return json(
        Object.prototype.hasOwnProperty.call(merged, name) ? { [name]: merged[name] } : {},
      );
    },
    models: () => listing('/models'),
    modelFolder: (folder: string) => folderListing('/models', folder),
    embeddings: () => listing('/embeddings'),
    experimentModels: () => listing('/experiment/models'),
    experimentModelFolder: (folder: string) => folderListing('/experiment/models', folder),
  };
}

export type CatalogRoutes = ReturnType<typeof createCatalogRoutes>;
