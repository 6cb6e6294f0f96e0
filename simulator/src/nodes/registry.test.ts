import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NodeRegistry } from './registry';

const recordedAll = JSON.parse(
  readFileSync(
    path.resolve(
      import.meta.dirname,
      '../../../../shared/fixtures/comfyui/real-0.27.0/api/object_info/_all.json',
    ),
    'utf8',
  ),
) as Record<string, Record<string, unknown>>;
const dir = mkdtempSync(path.join(os.tmpdir(), 'registry-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('object_info', () => {
  const registry = new NodeRegistry({ input: dir, output: dir, temp: dir }, () => '_temp_abcde');

  it('serves the real ComfyUI 0.27 definitions for every implemented class (machine-dependent combos aside)', () => {
    const ours = registry.objectInfo();
    expect(Object.keys(ours).length).toBe(14);
    for (const [name, def] of Object.entries(ours)) {
      const recorded = structuredClone(recordedAll[name]) as {
        input: { required: Record<string, unknown[]> };
      };
      const mine = structuredClone(def) as unknown as {
        input: { required: Record<string, unknown[]> };
      };
      if (name === 'LoadImage') [recorded, mine].forEach((d) => (d.input.required.image![0] = []));
      if (name === 'CheckpointLoaderSimple')
        [recorded, mine].forEach((d) => (d.input.required.ckpt_name![0] = []));
      expect(mine, name).toEqual(recorded);
    }
  });

  it("fills LoadImage's combo with the input folder's images, sorted", () => {
    writeFileSync(path.join(dir, 'b.png'), '');
    writeFileSync(path.join(dir, 'a.jpg'), '');
    writeFileSync(path.join(dir, 'notes.txt'), '');
    const def = registry.definition('LoadImage') as unknown as {
      input: { required: { image: unknown[] } };
    };
    expect(def.input.required.image[0]).toEqual(['a.jpg', 'b.png']);
    expect(registry.definition('NoSuchNode')).toBeUndefined();
  });
});
