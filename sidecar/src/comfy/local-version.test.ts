/** The attendee's ComfyUI version: read once, kept, read again when the local ComfyUI comes back (an upgrade). */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { comfyFlavor } from '../../../protocol/src/comfy/validate';
import { readJson } from '../../../test/support/recorded-ws';
import type { LocalComfy } from './local-comfy';
import { createLocalVersion, versionOf } from './local-version';

const stats = (rel: string) => readJson<{ response: { json: unknown } }>(rel).response.json;

function fakeLocal(answer: () => unknown) {
  let back = () => undefined as void;
  let reads = 0;
  const local = {
    getJson: async () => {
      reads++;
      return answer();
    },
    onBack: (listener: () => void) => (back = listener),
  } as unknown as LocalComfy;
  return { local, cameBack: () => back(), reads: () => reads };
}

describe('local ComfyUI version', () => {
  it('reads comfyui_version from the recorded /system_stats of both generations', () => {
    expect(versionOf(stats('real-0.8.0/get/system_stats.json'))).toBe('0.8.0');
    expect(versionOf(stats('real-0.27.0/api/get/system_stats.json'))).toBe('0.27.0');
    expect(versionOf({ system: {} })).toBeUndefined();
    expect([
      comfyFlavor('0.8.0'),
      comfyFlavor('0.3.64'),
      comfyFlavor('0.9.1'),
      comfyFlavor('0.27.0'),
      comfyFlavor('1.0.0'),
      comfyFlavor(undefined),
    ]).toEqual(['0.8', '0.8', '0.27', '0.27', '0.27', '0.27']);
  });

  it('answers as the newest until read; settled() waits for the first read; a restart is read again', async () => {
    let current: unknown = stats('real-0.8.0/get/system_stats.json');
    const f = fakeLocal(() => current);
    const v = createLocalVersion(f.local, pino({ level: 'silent' }), { maxAgeMs: 60_000 });
    expect(await v.settled()).toBe('0.8');
    expect(v.version()).toBe('0.8.0');
    const reads = f.reads();
    expect(v.flavor()).toBe('0.8');
    expect(f.reads()).toBe(reads); // kept, not read on every use
    current = stats('real-0.27.0/api/get/system_stats.json');
    f.cameBack();
    await expect.poll(() => v.version()).toBe('0.27.0');
  });

  it('settled() gives up after waitMs when the local ComfyUI does not answer', async () => {
    const f = fakeLocal(() => new Promise(() => undefined));
    const v = createLocalVersion(f.local, pino({ level: 'silent' }), { waitMs: 20 });
    expect(await v.settled()).toBe('0.27');
  });
});
