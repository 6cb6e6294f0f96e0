// The agent's journals, cancel markers and heartbeats on the shared volume are never outputs.
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cancelPath, heartbeatPath, journalPath } from '../../../protocol/src/index';
import { createOutputWatcher, type OutputWatcher, type WatchedFile } from './watcher';

async function put(path: string, body: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, body);
}

describe.each([
  { mode: 'polling', pollMs: 50 },
  { mode: 'native', pollMs: 0 },
])('output watcher beside the agent ($mode)', ({ pollMs }) => {
  let dir: string;
  let watcher: OutputWatcher;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'comfyume-watch-agent-'));
    watcher = createOutputWatcher({ outputDir: dir, pollMs, writeStableMs: 100, rescanMs: 200 });
  });
  afterEach(async () => {
    await watcher.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('reports the job’s output and nothing of the agent’s files', async () => {
    const job = randomUUID();
    const seen: WatchedFile[] = [];
    await watcher.watchJob(job, (f) => seen.push(f));
    const at = (rel: string) => join(dir, ...rel.split('/'));
    await put(at(`${journalPath(job, 1, 'gpu-a')}/00000001.json`), '{}');
    await put(at(`${journalPath(job, 1, 'gpu-a')}/.00000002.json.7.tmp`), '{');
    await put(at(cancelPath(job)), '{}');
    await put(at(heartbeatPath('gpu-a')), '{}');
    await put(join(watcher.jobDir(job), '9', 'cat_00001_.png'), 'png');
    // The output is reported; by then (and after two more reconcile scans) nothing else was.
    const deadline = Date.now() + 10_000;
    while (!seen.some((f) => f.rel.endsWith('cat_00001_.png')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    await new Promise((r) => setTimeout(r, 500));
    expect(seen.map((f) => f.rel)).toEqual([`comfyume/${job}/9/cat_00001_.png`]);
  });
});
