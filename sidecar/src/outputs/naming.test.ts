import { describe, expect, it } from 'vitest';
import { confinedPath, nextFreeName } from './naming';

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

describe('confinedPath', () => {
  it('accepts nested subfolders inside the base', () => {
    expect(confinedPath('/out', 'a/b', 'x.png')).toBe('/out/a/b/x.png');
    expect(confinedPath('/out', '', 'x.png')).toBe('/out/x.png');
  });
  it('refuses escapes, absolute subfolders and separators in names', () => {
    expect(confinedPath('/out', '../x', 'a.png')).toBeUndefined();
    expect(confinedPath('/out', '/etc', 'a.png')).toBeUndefined();
    expect(confinedPath('/out', 'a/../../b', 'a.png')).toBeUndefined();
    expect(confinedPath('/out', '', '../a.png')).toBeUndefined();
    expect(confinedPath('/out', '', '..')).toBeUndefined();
  });
});
