import { mkdtempSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { computeVars, getSaveImagePath, PyException } from './save-path';

let out: string;
beforeEach(() => {
  out = mkdtempSync(path.join(os.tmpdir(), 'save-path-'));
});
afterEach(() => rmSync(out, { recursive: true, force: true }));

describe('get_save_image_path', () => {
  it('starts at 1 and creates a missing subfolder', () => {
    const p = getSaveImagePath('renders/cat', out);
    expect(p).toMatchObject({ filename: 'cat', counter: 1, subfolder: 'renders' });
    expect(existsSync(path.join(out, 'renders'))).toBe(true);
  });

  it('continues after the highest existing number, whatever the extension', () => {
    for (const f of [
      'ComfyUI_00003_.png',
      'ComfyUI_00007_.webp',
      'ComfyUI_00002_.png',
      'Other_00099_.png',
      'ComfyUI_abc_.png',
    ])
      writeFileSync(path.join(out, f), '');
    expect(getSaveImagePath('ComfyUI', out).counter).toBe(8);
  });

  it('refuses to leave the output folder with ComfyUI’s message', () => {
    mkdirSync(path.join(out, 'a'));
    const outDir = path.join(out, 'a');
    expect(() => getSaveImagePath('../../escape_attempt', outDir)).toThrow(PyException);
    try {
      getSaveImagePath('../../escape_attempt', outDir);
    } catch (error) {
      expect((error as Error).message).toBe(
        `**** ERROR: Saving image outside the output folder is not allowed.\n full_output_folder: ${path.dirname(out)}\n         output_dir: ${outDir}\n         commonpath: ${path.dirname(out)}`,
      );
    }
  });

  it('substitutes %width%, %height% and date parts on the server side', () => {
    const now = new Date(2026, 0, 2, 3, 4, 5);
    expect(
      computeVars('%width%x%height%_%year%-%month%-%day%_%hour%%minute%%second%', 64, 48, now),
    ).toBe('64x48_2026-01-02_030405');
    expect(getSaveImagePath('s/%width%', out, 10, 20)).toMatchObject({
      subfolder: 's',
      filename: '10',
    });
  });
});
