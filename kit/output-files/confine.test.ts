import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confinedFolder, confinedPath, PathEscape, reallyInside, subfolderOf } from './confine';

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

describe('subfolderOf', () => {
  it('normalises, and throws PathEscape for escapes', () => {
    expect(subfolderOf('a/./b/')).toBe('a/b');
    expect(subfolderOf('a\\b')).toBe('a/b');
    expect(subfolderOf('')).toBe('');
    expect(() => subfolderOf('../x')).toThrow(PathEscape);
    expect(() => subfolderOf('/abs')).toThrow(/relative/);
  });
});

describe('by real path', () => {
  let root: string;
  let base: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'comfyume-confine-'));
    base = join(root, 'out');
    await mkdir(join(base, 'inside'), { recursive: true });
    await writeFile(join(root, 'secret.txt'), 'outside');
    await symlink(root, join(base, 'up'));
    await symlink(join(root, 'secret.txt'), join(base, 'secret.png'));
    await symlink(join(base, 'inside'), join(base, 'alias'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('refuses a symlink out of the base, file or folder', async () => {
    expect(await reallyInside(base, join(base, 'secret.png'))).toBe(false);
    expect(await reallyInside(base, join(base, 'up', 'secret.txt'))).toBe(false);
    expect(await reallyInside(base, join(base, 'missing.png'))).toBe(false);
  });

  it('makes confined folders, and none through a symlink that leads out', async () => {
    expect(await confinedFolder(base, 'inside/new/deeper')).toBe(join(base, 'inside/new/deeper'));
    expect(await confinedFolder(base, 'alias/more')).toBe(join(base, 'alias/more'));
    expect(await confinedFolder(base, 'up/made-outside')).toBeUndefined();
    expect(await readdir(root)).not.toContain('made-outside');
  });
});
