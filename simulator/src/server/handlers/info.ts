/**
 * @fileoverview Read-mostly endpoints: object_info, system_stats, features, extensions, users and
 * settings (in memory, single-user mode). Model listings are in models.ts.
 */
import os from 'node:os';
import type { ReplicaContext } from '../../context';
import { type Ctx } from '../http-kit';
import { empty, json, type Reply } from '../../../../kit/aiohttp-reply';
import { liveObjectInfo } from './models';
import { listExtensionScripts } from './static';

/**
 * The frontend version this simulator asks for. The stock frontend warns when the running frontend is
 * older than `required_frontend_version` (versionCompatibilityStore: `gt(required, running)`), so this
 * is the oldest generation we support (ComfyUI 0.8.0 pins 1.35.9): 1.35.9 and 1.45.x load without a
 * compatibility warning.
 */
export const REQUIRED_FRONTEND_VERSION = '1.35.9';

export const getObjectInfo = (ctx: ReplicaContext): Reply => json(liveObjectInfo(ctx));

/** `{}` for a class this ComfyUI does not have, whatever the name (no path is ever read from it). */
export function getObjectInfoClass(ctx: ReplicaContext, http: Ctx): Reply {
  const name = http.params.node_class ?? '';
  const info = liveObjectInfo(ctx);
  return json(Object.prototype.hasOwnProperty.call(info, name) ? { [name]: info[name] } : {});
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
      comfyui_version: ctx.version,
      required_frontend_version: REQUIRED_FRONTEND_VERSION,
      installed_templates_version: null,
      required_templates_version: '0.11.2',
      comfy_package_versions: [
        { name: 'comfyui-frontend-package', installed: null, required: REQUIRED_FRONTEND_VERSION },
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
      {
        name: 'cuda:0 NVIDIA H200 (simulated) : cudaMallocAsync',
        type: 'cuda',
        index: 0,
        vram_total: vram,
        vram_free: vram,
        torch_vram_total: 0,
        torch_vram_free: 0,
      },
    ],
  });
}

export const getFeatures = (ctx: ReplicaContext): Reply => json(ctx.features());
/** Every `*.js` of the custom-node web directories the simulator was given (none by default). */
export const getExtensions = (ctx: ReplicaContext): Reply => listExtensionScripts(ctx.web);
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
