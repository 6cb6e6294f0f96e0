/**
 * @fileoverview The simulator's node classes and their object_info. Definitions are the real ComfyUI 0.27
 * ones (object-info.json, copied from the recorded /object_info); combo lists that depend on the machine
 * (LoadImage's input files, checkpoint names) are filled in at request time as ComfyUI does.
 * Only classes we can execute are listed, so anything else is `missing_node_type`, as on a real server
 * without that custom node.
 */
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from '../../../kit/py-path';
import {
  cannyNode,
  emptyImage,
  imageBlur,
  imageInvert,
  imageScale,
  loadImage,
} from './image-nodes';
import {
  checkpointLoader,
  clipTextEncode,
  emptyLatentImage,
  kSampler,
  SIMULATED_CHECKPOINTS,
  vaeDecode,
} from './model-nodes';
import { makePreviewImage, saveAnimatedPng, saveImage } from './save';
import type { Dirs, NodeImpl } from './types';

const require = createRequire(import.meta.url);
export type NodeDef = Record<string, unknown> & {
  input: Record<string, Record<string, unknown>>;
  output: string[];
  output_node: boolean;
};
const recordedDefs = require('./object-info.json') as Record<string, NodeDef>;

const IMAGE_EXTENSIONS = new Set([
  '.png',
  '.jpg',
  '.jpeg',
  '.webp',
  '.gif',
  '.bmp',
  '.tif',
  '.tiff',
  '.avif',
  '.apng',
  '.heic',
  '.heif',
]);

/** LoadImage's combo: top-level image files of the input folder, sorted. */
export function inputImageFiles(inputDir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(inputDir);
  } catch {
    return [];
  }
  return names
    .filter((name) => {
      const dot = name.lastIndexOf('.');
      if (dot < 0 || !IMAGE_EXTENSIONS.has(name.slice(dot).toLowerCase())) return false;
      try {
        return statSync(join(inputDir, name)).isFile();
      } catch {
        return false;
      }
    })
    .sort();
}

export class NodeRegistry {
  readonly nodes = new Map<string, NodeImpl>();

  constructor(
    private readonly dirs: Dirs,
    previewSuffix: (nodeId: string) => string,
    /** Classes this ComfyUI does not have (their custom node is not installed). */
    without: readonly string[] = [],
  ) {
    const all = [
      emptyImage,
      loadImage,
      imageInvert,
      imageBlur,
      imageScale,
      cannyNode,
      saveImage,
      makePreviewImage(previewSuffix),
      saveAnimatedPng,
      checkpointLoader,
      clipTextEncode,
      emptyLatentImage,
      kSampler,
      vaeDecode,
    ];
    for (const node of all) if (!without.includes(node.name)) this.nodes.set(node.name, node);
  }

  get(classType: string): NodeImpl | undefined {
    return this.nodes.get(classType);
  }

  isOutput(classType: string): boolean {
    return this.nodes.get(classType)?.outputNode ?? false;
  }

  /** One object_info entry with live combo lists. */
  definition(classType: string): NodeDef | undefined {
    const recorded = recordedDefs[classType];
    if (!recorded || !this.nodes.has(classType)) return undefined;
    const def = structuredClone(recorded);
    const required = def.input.required as Record<string, unknown[]> | undefined;
    if (classType === 'LoadImage' && required?.image)
      required.image[0] = inputImageFiles(this.dirs.input);
    if (classType === 'CheckpointLoaderSimple' && required?.ckpt_name)
      required.ckpt_name[0] = [...SIMULATED_CHECKPOINTS];
    return def;
  }

  objectInfo(): Record<string, NodeDef> {
    const out: Record<string, NodeDef> = {};
    for (const name of this.nodes.keys()) {
      const def = this.definition(name);
      if (def) out[name] = def;
    }
    return out;
  }
}
