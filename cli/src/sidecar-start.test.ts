import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshSidecarBundle } from '../../bin/sidecar-start.js';

describe('freshSidecarBundle: which code `comfyume sidecar` runs', () => {
  let root: string;
  const at = (seconds: number) => new Date(1_700_000_000_000 + seconds * 1000);
  const write = async (path: string, text: string, seconds: number) => {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), text);
    await utimes(join(root, path), at(seconds), at(seconds));
  };
  const build = (seconds: number) =>
    Promise.all([
      write('dist/sidecar/sidecar.cjs', '// built', seconds),
      write(
        'dist/sidecar/sources.json',
        JSON.stringify({
          bundle: 'sidecar.cjs',
          sources: ['sidecar/src/a.ts', 'package-lock.json'],
        }),
        seconds,
      ),
    ]);

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'comfyume-sidecar-build-'));
    await write('sidecar/src/a.ts', 'export {}', 10);
    await write('package-lock.json', '{}', 5);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('runs nothing built when there is no build', () => {
    expect(freshSidecarBundle(root)).toEqual({ why: 'no sidecar build in dist/sidecar/' });
  });

  it('runs the build when it is at least as new as every file it was built from', async () => {
    await build(20);
    expect(freshSidecarBundle(root)).toEqual({ file: join(root, 'dist/sidecar/sidecar.cjs') });
  });

  it('names the file edited since the build, and runs the sources then', async () => {
    await build(20);
    await write('sidecar/src/a.ts', 'export const edited = 1', 30);
    expect(freshSidecarBundle(root)).toEqual({
      why: 'sidecar/src/a.ts changed since the sidecar build',
    });
  });

  it('names a file gone since the build (a renamed module), and new packages by the lockfile', async () => {
    await build(20);
    await rm(join(root, 'sidecar/src/a.ts'));
    expect(freshSidecarBundle(root)).toEqual({
      why: 'sidecar/src/a.ts is gone since the sidecar build',
    });
    await write('sidecar/src/a.ts', 'export {}', 10);
    await write('package-lock.json', '{"new":1}', 40);
    expect(freshSidecarBundle(root)).toEqual({
      why: 'package-lock.json changed since the sidecar build',
    });
  });
});
