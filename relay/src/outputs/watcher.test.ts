// The output watcher on real temp folders, in polling (NFS) and native mode.
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cancelPath, heartbeatPath, journalPath } from '../../../protocol/src/index';
import { createOutputWatcher, type OutputWatcher, type WatchedFile } from './watcher';
import { until } from '../../../kit/until';

async function put(path: string, body: string | Buffer): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, body);
}

describe.each([
  { mode: 'polling', pollMs: 50 },
  { mode: 'native', pollMs: 0 },
])('output watcher ($mode)', ({ pollMs }) => {
  let dir: string;
  let watcher: OutputWatcher;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'comfyume-watch-'));
    watcher = createOutputWatcher({ outputDir: dir, pollMs, writeStableMs: 150, rescanMs: 300 });
  });
  afterEach(async () => {
    await watcher.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('routes a job’s files to it, with POSIX paths relative to the output folder', async () => {
    const jobA = randomUUID();
    const jobB = randomUUID();
    const seenA: WatchedFile[] = [];
    const seenB: WatchedFile[] = [];
    await watcher.watchJob(jobA, (f) => seenA.push(f));
    await watcher.watchJob(jobB, (f) => seenB.push(f));
    await put(join(watcher.jobDir(jobA), '9', 'renders', 'cat_00001_.png'), 'a');
    await put(join(watcher.jobDir(jobB), '3', 'ComfyUI_00001_.png'), 'bb');
    await until(() => seenA.length > 0 && seenB.length > 0, 10_000);
    expect(seenA[0]?.rel).toBe(`comfyume/${jobA}/9/renders/cat_00001_.png`);
    expect(seenA[0]?.size).toBe(1);
    expect(seenB[0]?.rel).toBe(`comfyume/${jobB}/3/ComfyUI_00001_.png`);
    expect(seenA.every((f) => f.path.includes(jobA))).toBe(true);
  });

  it('reports files written before the job was watched (a resumed job)', async () => {
    const job = randomUUID();
    await put(join(dir, 'comfyume', job, '4', 'old_00001_.png'), 'earlier');
    const seen: WatchedFile[] = [];
    await watcher.watchJob(job, (f) => seen.push(f));
    await until(() => seen.length > 0, 10_000);
    expect(seen[0]?.rel).toBe(`comfyume/${job}/4/old_00001_.png`);
    expect(seen[0]?.size).toBe(7);
  });

  it('hands a file over only once it is completely written', async () => {
    const job = randomUUID();
    const seen: WatchedFile[] = [];
    await watcher.watchJob(job, (f) => seen.push(f));
    const path = join(watcher.jobDir(job), '2', 'slow_00001_.png');
    await mkdir(dirname(path), { recursive: true });
    const handle = await open(path, 'w');
    const chunk = Buffer.alloc(1000, 1);
    for (let i = 0; i < 8; i++) {
      await handle.write(chunk);
      await new Promise((r) => setTimeout(r, 60));
    }
    await handle.close();
    await until(() => seen.length > 0, 10_000);
    expect(seen.every((f) => f.size === 8000)).toBe(true);
  });

  it('ignores folders of jobs nobody watches, dotfiles, and a job after it is released', async () => {
    const watched = randomUUID();
    const other = randomUUID();
    const seen: WatchedFile[] = [];
    const stop = await watcher.watchJob(watched, (f) => seen.push(f));
    await put(join(dir, 'comfyume', other, '1', 'x_00001_.png'), 'x');
    await put(join(watcher.jobDir(watched), '1', '.partial.png'), 'x');
    await put(join(watcher.jobDir(watched), '1', 'marker_00001_.png'), 'x');
    await until(() => seen.length > 0, 10_000);
    await stop();
    await put(join(watcher.jobDir(watched), '1', 'late_00001_.png'), 'x');
    await new Promise((r) => setTimeout(r, 600));
    expect(seen.map((f) => f.rel.split('/').pop())).toEqual(['marker_00001_.png']);
  });

  it('never takes the GPU agent’s journals, cancel marker or heartbeats for outputs', async () => {
    const job = randomUUID();
    const seen: WatchedFile[] = [];
    await watcher.watchJob(job, (f) => seen.push(f));
    const at = (rel: string) => join(dir, ...rel.split('/'));
    await put(at(`${journalPath(job, 1, 'gpu-a')}/00000001.json`), '{}');
    await put(at(`${journalPath(job, 1, 'gpu-a')}/00000002.json.51f3a2`), '{'); // a write in progress
    await put(at(cancelPath(job)), '{}');
    await put(at(heartbeatPath('gpu-a')), '{}');
    await put(join(watcher.jobDir(job), '9', 'cat_00001_.png'), 'png');
    await until(() => seen.some((f) => f.rel.endsWith('cat_00001_.png')), 10_000);
    await new Promise((r) => setTimeout(r, 600)); // two reconcile scans more: still only the output
    expect(seen.map((f) => f.rel)).toEqual([`comfyume/${job}/9/cat_00001_.png`]);
  });
});
