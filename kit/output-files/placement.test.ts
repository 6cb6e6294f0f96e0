import { mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dropPart, holdsSameBytes, isPartName, linkUnderFreeName, writePart } from './placement';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'comfyume-place-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const nextOf = (name: string) => name.replace(/\d+/, (n) => String(Number(n) + 1));

describe('linkUnderFreeName', () => {
  it('never overwrites: a taken name moves on, and the part file is only a hidden name', async () => {
    await writeFile(join(dir, 'x1.png'), 'theirs');
    const part = await writePart(dir, Buffer.from('ours'));
    const recorded: string[] = [];
    const name = await linkUnderFreeName(part, dir, {
      first: 'x1.png',
      next: nextOf,
      beforeLink: async (n) => void recorded.push(n),
    });
    await dropPart(part);
    expect([name, recorded]).toEqual(['x2.png', ['x2.png']]);
    expect(await readFile(join(dir, 'x1.png'), 'utf8')).toBe('theirs');
    expect(await readFile(join(dir, 'x2.png'), 'utf8')).toBe('ours');
    expect((await readdir(dir)).filter(isPartName)).toEqual([]);
  });

  it('counts a taken name holding the same bytes as placed, only when asked, never through a symlink', async () => {
    await writeFile(join(dir, 'x1.png'), 'ours');
    await writeFile(join(dir, 'elsewhere.png'), 'ours');
    await symlink(join(dir, 'elsewhere.png'), join(dir, 'y1.png'));
    const part = await writePart(dir, { copyOf: join(dir, 'x1.png') });
    expect(
      await linkUnderFreeName(part, dir, {
        first: 'x1.png',
        next: nextOf,
        sameBytesIsPlaced: true,
      }),
    ).toBe('x1.png');
    expect(await holdsSameBytes(part, join(dir, 'y1.png'))).toBe(false);
    expect(
      await linkUnderFreeName(part, dir, {
        first: 'y1.png',
        next: nextOf,
        sameBytesIsPlaced: true,
      }),
    ).toBe('y2.png');
    expect(await linkUnderFreeName(part, dir, { first: 'x1.png', next: nextOf })).toBe('x2.png');
  });
});
