/** @fileoverview Where a worker's uploads wait: names kept in the job's folder, by name and by symlink. */
import { mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WorkerStaging } from './worker-staging';

let root: string;
let outside: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'staging-'));
  outside = await mkdtemp(join(tmpdir(), 'outside-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

describe('WorkerStaging', () => {
  it('keeps a sub/name in the job attempt folder', async () => {
    const staging = new WorkerStaging(root);
    const path = staging.path('job1', 2, 'output', 'comfyume/job1/9/cat_00001_.png');
    expect(path).toBe(join(root, 'job1@2/output/comfyume/job1/9/cat_00001_.png'));
    expect(await staging.prepare('job1', 2, 'output', path)).toBe(true);
    expect(await readdir(join(root, 'job1@2/output/comfyume/job1'))).toEqual(['9']);
  });

  it.each([
    '../x.png',
    '../../../../x.png',
    '/etc/x.png',
    'a/../../x.png',
    '..\\x.png',
    'x\0.png',
    'C:/x.png',
    '',
  ])('refuses the name %j', (name) => {
    const staging = new WorkerStaging(root);
    expect(staging.pathOrUndefined('job1', 1, 'output', name)).toBeUndefined();
    expect(() => staging.path('job1', 1, 'temp', name)).toThrow(/leave/);
  });

  it('refuses a job id the relay does not give', () => {
    expect(new WorkerStaging(root).pathOrUndefined('../j', 1, 'output', 'x.png')).toBeUndefined();
  });

  it('refuses a folder or file that is a symlink, making nothing outside', async () => {
    const staging = new WorkerStaging(root);
    await mkdir(join(root, 'job1@1/output'), { recursive: true });
    await symlink(outside, join(root, 'job1@1/output/out'));
    const viaFolder = staging.path('job1', 1, 'output', 'out/deep/x.png');
    expect(await staging.prepare('job1', 1, 'output', viaFolder)).toBe(false);
    await symlink(join(outside, 'x.png'), join(root, 'job1@1/output/x.png.upload'));
    const viaPart = staging.path('job1', 1, 'output', 'x.png');
    expect(await staging.prepare('job1', 1, 'output', viaPart)).toBe(false);
    expect(await readdir(outside)).toEqual([]);
  });
});
