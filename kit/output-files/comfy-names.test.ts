import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { counterName, nextCounter, nextCounterIn, nextFreeName } from './comfy-names';

describe('nextFreeName (ComfyUI counter rule)', () => {
  it('continues after the highest counter of that prefix, case-insensitively, any extension', () => {
    const existing = [
      'ComfyUI_00001_.png',
      'comfyui_00007_.webp',
      'Other_00042_.png',
      'ComfyUI_notes.txt',
    ];
    expect(nextFreeName('ComfyUI_00001_.png', existing)).toBe('ComfyUI_00008_.png');
  });
  it('keeps the digit width and the suffix shape (VHS style without trailing underscore)', () => {
    expect(nextFreeName('clip_00003.mp4', ['clip_00003.mp4'])).toBe('clip_00004.mp4');
  });
  it('uses "name (n).ext" for names without a counter', () => {
    expect(nextFreeName('cat.png', ['cat.png', 'cat (1).png'])).toBe('cat (2).png');
  });
});

describe('counterName and nextCounter', () => {
  it('names <stem>_<NNNNN>_<ext>, with or without the dot', () => {
    expect(counterName('cat', 8, '.png')).toBe('cat_00008_.png');
    expect(counterName('cat', 123456, 'webp')).toBe('cat_123456_.webp');
  });
  it('counts every case and suffix shape of the stem, and nothing else', () => {
    expect(nextCounter(['Cat_00007_.webp', 'cat_00003.mp4', 'catalog_00100_.png'], 'cat')).toBe(8);
    expect(nextCounter([], 'cat')).toBe(1);
  });
  it('reads a missing folder as empty', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'comfyume-names-'));
    try {
      expect(await nextCounterIn(join(dir, 'missing'), 'x')).toBe(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
