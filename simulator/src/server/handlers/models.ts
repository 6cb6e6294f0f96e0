/**
 * @fileoverview The model folders of the simulated ComfyUI and everything that lists them, as
 * ComfyUI 0.27 answers: `/models`, `/models/{folder}`, `/embeddings`, `/experiment/models[/{folder}]`
 * (model_manager.py), `/internal/folder_paths` (internal_routes.py), and the checkpoint combo of
 * `/object_info`. The files are the `models` option (folder → names), so a GPU simulator and an
 * attendee simulator can "have" different models.
 */
import { dirname, join } from 'node:path';
import type { ReplicaContext } from '../../context';
import { SIMULATED_CHECKPOINTS } from '../../nodes/model-nodes';
import type { NodeDef } from '../../nodes/registry';
import { type Ctx } from '../http-kit';
import { json, type Reply } from '../../../../kit/aiohttp-reply';

/** Folder names ComfyUI 0.27 lists at GET /models (recorded), in its order. */
export const MODEL_FOLDERS = [
  'checkpoints',
  'configs',
  'loras',
  'vae',
  'text_encoders',
  'diffusion_models',
  'clip_vision',
  'style_models',
  'embeddings',
  'diffusers',
  'vae_approx',
  'controlnet',
  'gligen',
  'upscale_models',
  'latent_upscale_models',
  'custom_nodes',
  'hypernetworks',
  'photomaker',
  'classifiers',
  'model_patches',
  'audio_encoders',
  'background_removal',
  'frame_interpolation',
  'geometry_estimation',
  'optical_flow',
  'detection',
];

/** `/experiment/models` leaves these out (model_manager.py `folder_black_list`). */
const EXPERIMENT_HIDDEN = new Set(['configs', 'custom_nodes']);

/** `web.Response(status=404)`: aiohttp sends an empty body typed application/octet-stream. */
const NOT_FOUND: Reply = { status: 404, text: '', contentType: 'application/octet-stream' };

export function modelFiles(ctx: ReplicaContext, folder: string): readonly string[] {
  return ctx.models[folder] ?? (folder === 'checkpoints' ? SIMULATED_CHECKPOINTS : []);
}

/** ComfyUI's `folder_names_and_paths[folder][0]`: `<base>/models/<folder>` (custom_nodes at the base). */
function folderPaths(ctx: ReplicaContext, folder: string): string[] {
  const base = dirname(ctx.dirs.output);
  return [folder === 'custom_nodes' ? join(base, 'custom_nodes') : join(base, 'models', folder)];
}

/** The registry's object_info with the machine's own checkpoint names in the loader's combo. */
export function liveObjectInfo(ctx: ReplicaContext): Record<string, NodeDef> {
  const info = ctx.registry.objectInfo();
  const loader = info.CheckpointLoaderSimple?.input.required as
    Record<string, unknown[]> | undefined;
  if (loader?.ckpt_name) loader.ckpt_name[0] = [...modelFiles(ctx, 'checkpoints')];
  return info;
}

export const getModels = (): Reply => json(MODEL_FOLDERS);

export function getModelFolder(ctx: ReplicaContext, http: Ctx): Reply {
  const folder = http.params.folder ?? '';
  return MODEL_FOLDERS.includes(folder) ? json(modelFiles(ctx, folder)) : NOT_FOUND;
}

/** Embedding names without their extension. */
export const getEmbeddings = (ctx: ReplicaContext): Reply =>
  json(modelFiles(ctx, 'embeddings').map((name) => name.replace(/\.[^./]*$/, '')));

export function getExperimentModels(ctx: ReplicaContext): Reply {
  return json(
    MODEL_FOLDERS.filter((f) => !EXPERIMENT_HIDDEN.has(f)).map((name) => ({
      name,
      folders: folderPaths(ctx, name),
    })),
  );
}

export function getExperimentModelFolder(ctx: ReplicaContext, http: Ctx): Reply {
  const folder = http.params.folder ?? '';
  if (!MODEL_FOLDERS.includes(folder)) return NOT_FOUND;
  const now = Date.now() / 1000;
  return json(
    modelFiles(ctx, folder).map((name) => ({
      name,
      pathIndex: 0,
      modified: now,
      created: now,
      size: 0,
    })),
  );
}

export function getFolderPaths(ctx: ReplicaContext): Reply {
  return json(
    Object.fromEntries(MODEL_FOLDERS.map((folder) => [folder, folderPaths(ctx, folder)])),
  );
}
