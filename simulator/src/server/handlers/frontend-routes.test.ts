/**
 * The routes the stock frontends (1.35.9, 1.45.x) call at start-up answer with ComfyUI's shapes, the
 * model listings follow the `models` option, and `required_frontend_version` passes both frontends'
 * compatibility check (regression: 1.45.6 showed a "Version Compatibility Warning" toast).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../app';

let dir: string;
let sim: RunningSimulator;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sim-frontend-'));
  sim = await startSimulator({
    outputDir: `${dir}/o`,
    inputDir: `${dir}/i`,
    tempDir: `${dir}/t`,
    models: { checkpoints: ['gpu_only.safetensors'], embeddings: ['easynegative.safetensors'] },
  });
});
afterAll(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = async (p: string) => {
  const res = await fetch(`${sim.url}${p}`);
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    text,
    json: () => JSON.parse(text) as unknown,
  };
};

/** semver `gt` for plain x.y.z versions, as versionCompatibilityStore compares them. */
const gt = (a: string, b: string) => {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number)) as [number[], number[]];
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) > (y[i] ?? 0);
  return false;
};

describe('start-up routes of the stock frontend', () => {
  for (const route of [
    '/api/i18n',
    '/api/global_subgraphs',
    '/api/node_replacements',
    '/api/workflow_templates',
    '/i18n',
  ]) {
    it(`${route} answers a JSON object`, async () => {
      const res = await get(route);
      expect(res.status).toBe(200);
      expect(res.type).toBe('application/json; charset=utf-8');
      expect(res.json()).toEqual({});
    });
  }

  it('node_replacements is advertised by the feature flags it answers for', async () => {
    expect(((await get('/api/features')).json() as Record<string, unknown>).node_replacements).toBe(
      true,
    );
  });

  it('/internal/folder_paths lists every model folder (only without /api, an aiohttp sub-app)', async () => {
    const paths = (await get('/internal/folder_paths')).json() as Record<string, string[]>;
    const folders = (await get('/api/models')).json() as string[];
    expect(Object.keys(paths)).toEqual(folders);
    expect(paths.checkpoints?.[0]).toMatch(/models\/checkpoints$/);
    expect((await get('/api/internal/folder_paths')).status).toBe(404);
  });

  it('required_frontend_version does not make 1.35.9 or 1.45.6 warn', async () => {
    const stats = (await get('/api/system_stats')).json() as {
      system: {
        required_frontend_version: string;
        comfy_package_versions: { name: string; installed: string | null; required: string }[];
      };
    };
    const required = stats.system.required_frontend_version;
    for (const frontend of ['1.35.9', '1.45.6'])
      expect(gt(required, frontend), `${required} > ${frontend}`).toBe(false);
    // Packages warn only when installed and older than required.
    for (const pkg of stats.system.comfy_package_versions)
      expect(pkg.installed === null || !gt(pkg.required, pkg.installed)).toBe(true);
  });
});

describe('models follow the `models` option', () => {
  it('object_info, /models/checkpoints and /experiment/models/checkpoints list the same files', async () => {
    const info = (await get('/api/object_info/CheckpointLoaderSimple')).json() as Record<
      string,
      { input: { required: { ckpt_name: [string[]] } } }
    >;
    expect(info.CheckpointLoaderSimple?.input.required.ckpt_name[0]).toEqual([
      'gpu_only.safetensors',
    ]);
    expect((await get('/api/models/checkpoints')).json()).toEqual(['gpu_only.safetensors']);
    const files = (await get('/api/experiment/models/checkpoints')).json() as {
      name: string;
      pathIndex: number;
    }[];
    expect(files.map((f) => [f.name, f.pathIndex])).toEqual([['gpu_only.safetensors', 0]]);
    expect((await get('/api/embeddings')).json()).toEqual(['easynegative']);
  });

  it('/experiment/models leaves out configs and custom_nodes', async () => {
    const folders = (await get('/api/experiment/models')).json() as {
      name: string;
      folders: string[];
    }[];
    expect(folders.map((f) => f.name)).not.toContain('configs');
    expect(folders.map((f) => f.name)).not.toContain('custom_nodes');
    expect(folders.find((f) => f.name === 'loras')?.folders).toHaveLength(1);
  });

  it('an unknown folder or a path in the name: 404 with an empty body, nothing read', async () => {
    for (const p of [
      '/api/models/nope',
      '/api/models/..%2F..%2Fetc',
      '/api/experiment/models/..%2Foutput',
    ]) {
      const res = await get(p);
      expect(res.status, p).toBe(404);
      expect(res.text).toBe('');
    }
    expect((await get('/api/object_info/..%2F..%2Fetc%2Fpasswd')).json()).toEqual({});
    expect((await get('/api/object_info/__proto__')).json()).toEqual({});
  });
});
