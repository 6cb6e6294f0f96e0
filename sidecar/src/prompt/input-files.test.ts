import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confinedFile } from '../../../kit/output-files/confine';
import { inputFilePath } from './input-files';

describe('input files are confined to their folder by their real path', () => {
  let root: string;
  let input: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'comfyume-inputs-'));
    input = join(root, 'input');
    await mkdir(join(input, 'sub'), { recursive: true });
    await writeFile(join(root, 'secret.txt'), 'outside the input folder');
    await writeFile(join(input, 'cat.png'), 'cat');
    await writeFile(join(input, 'sub', 'dog.png'), 'dog');
    await symlink(join(root, 'secret.txt'), join(input, 'escape.png'));
    await symlink(root, join(input, 'up'));
    await symlink(join(input, 'cat.png'), join(input, 'alias.png'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('finds plain files, also in subfolders', () => {
    expect(inputFilePath(input, 'cat.png')).toBe(join(input, 'cat.png'));
    expect(inputFilePath(input, 'sub/dog.png')).toBe(join(input, 'sub', 'dog.png'));
  });

  it('refuses ../ and absolute names', () => {
    expect(inputFilePath(join(input, 'sub'), '../cat.png')).toBeUndefined();
    expect(inputFilePath(input, '../secret.txt')).toBeUndefined();
    expect(inputFilePath(input, join(root, 'secret.txt'))).toBeUndefined();
  });

  it('refuses a symlink (file or folder) that points out of the folder', () => {
    expect(inputFilePath(input, 'escape.png')).toBeUndefined();
    expect(inputFilePath(input, 'up/secret.txt')).toBeUndefined();
    expect(confinedFile(input, 'escape.png', { anyEntry: true })).toBeUndefined();
  });

  it('accepts a symlink that stays inside, as its real path', () => {
    expect(inputFilePath(input, 'alias.png')).toBe(join(input, 'cat.png'));
  });
});
