/**
 * @fileoverview Read-mostly endpoints: object_info, system_stats, features, extensions, embeddings, models,
 * users and settings (in memory, single-user mode).
 */
import os from 'node:os';
import type { ReplicaContext } from '../../context';
import { SIMULATED_CHECKPOINTS } from '../../nodes/model-nodes';
import { empty, json, type Ctx, type Reply } from '../http-kit';
import { listExtensionScripts } from './static';

/** Folder names ComfyUI 0.27 lists at GET /models (recorded). */
const MODEL_FOLDERS = ['checkpoints', 'configs', 'loras', 'vae', 'text_encoders', 'diffusion_models', 'clip_vision', 'style_models', 'embeddings', 'diffusers', 'vae_approx', 'controlnet', 'gligen', 'upscale_models', 'latent_upscale_models', 'custom_nodes', 'hypernetworks', 'photomaker', 'classifiers', 'model_patches', 'audio_encoders', 'background_removal', 'frame_interpolation', 'geometry_estimation', 'optical_flow', 'detection'];

export const getObjectInfo = (ctx: ReplicaContext): Reply => json(ctx.registry.objectInfo());

export function getObjectInfoClass(ctx: ReplicaContext, http: Ctx): Reply {
  const name = http.params.node_class ?? '';
  const def = ctx.registry.definition(name);
  return json(def ? { [name]: def } : {});
}

export function getSystemStats(ctx: ReplicaContext): Reply {
  const total = os.totalmem();
  const free = os.freemem();
  const vram = 80 * 1024 ** 3;
  return json({
    system: {
      os: 'linux',
      ram_total: total,
      ram_free: free,
      comfyui_version: '0.27.0',
      required_frontend_version: '1.45.20',
      installed_templates_version: null,
      required_templates_version: '0.11.2',
      comfy_package_versions: [
        { name: 'comfyui-frontend-package', installed: '1.45.20', required: '1.45.20' },
        { name: 'comfyui-workflow-templates', installed: null, required: '0.11.2' },
        { name: 'comfyui-embedded-docs', installed: null, required: '0.5.6' },
        { name: 'comfy-kitchen', installed: null, required: '0.2.16' },
        { name: 'comfy-aimdo', installed: null, required: '0.4.10' },
      ],
      python_version: '3.13.5 (comfyume simulator)',
      pytorch_version: '2.6.0+simulated',
      embedded_python: false,
      deploy_environment: 'local-git',
      argv: ['main.py', '--listen', '--simulator-replica', String(ctx.index)],
    },
    devices: [
      { name: 'cuda:0 NVIDIA H200 (simulated) : cudaMallocAsync', type: 'cuda', index: 0, vram_total: vram, vram_free: vram, torch_vram_total: 0, torch_vram_free: 0 },
    ],
  });
}

export const getFeatures = (ctx: ReplicaContext): Reply => json(ctx.features());
/** Every `*.js` of the custom-node web directories the simulator was given (none by default). */
export const getExtensions = (ctx: ReplicaContext): Reply => listExtensionScripts(ctx.web);
export const getEmbeddings = (): Reply => json([]);
export const getModels = (): Reply => json(MODEL_FOLDERS);

export function getModelFolder(_ctx: ReplicaContext, http: Ctx): Reply {
  const folder = http.params.folder ?? '';
  if (!MODEL_FOLDERS.includes(folder)) return { status: 404, text: '404: Not Found', contentType: 'text/plain; charset=utf-8' };
  return json(folder === 'checkpoints' ? SIMULATED_CHECKPOINTS : []);
}

export const getUsers = (): Reply => json({ storage: 'server', migrated: true });

export function getSettings(ctx: ReplicaContext): Reply {
  return json(Object.fromEntries(ctx.settings));
}

export function getSetting(ctx: ReplicaContext, http: Ctx): Reply {
  return json(ctx.settings.get(http.params.id ?? '') ?? null);
}

export async function postSettings(ctx: ReplicaContext, http: Ctx): Promise<Reply> {
  const body = (await http.json()) as Record<string, unknown>;
  for (const [key, value] of Object.entries(body ?? {})) ctx.settings.set(key, value);
  return empty();
}

export async function postSetting(ctx: ReplicaContext, http: Ctx): Promise<Reply> {
  ctx.settings.set(http.params.id ?? '', await http.json());
  return empty();
}
