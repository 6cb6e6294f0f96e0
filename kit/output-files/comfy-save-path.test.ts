import { describe, expect, it } from 'vitest';
import { comfyNextCounter, saveEscapeMessage } from './comfy-save-path';

describe('ComfyUI get_save_image_path, to the byte', () => {
  it('matches ComfyUI’s parsing rules for the digits after the prefix', () => {
    // Python: 'x_7.png' → int('7.png') fails → 0; 'x_00007' → 7; 'xy_…' has another prefix.
    expect(comfyNextCounter(['x_00004_.png', 'x_7.png', 'xy_00100_.png', 'x_junk'], 'x', 'x')).toBe(
      5,
    );
    expect(comfyNextCounter(['x_00004_.png', 'x_00007'], 'x', 'x')).toBe(8);
    expect(comfyNextCounter(['y_00001_.png'], 'x', 'x')).toBe(1);
  });

  it('leaves prefixes inside the output folder alone', () => {
    for (const prefix of ['ComfyUI', 'renders/cat', 'a/../b', '..x/y', '%date:yyyy%/x', '..'])
      expect(saveEscapeMessage(prefix, '/srv/out'), prefix).toBeUndefined();
    for (const prefix of ['../x', 'a/../../x', '/etc/x', '../../escape_attempt'])
      expect(saveEscapeMessage(prefix, '/srv/out'), prefix).toMatch(/outside the output folder/);
  });
});
