import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import {
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  symlink,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FoundOutput } from '../backends/backend';
import { OutputStore, safeSubfolder } from './output-store';

let dir: string;
let source: string;
const index = new Map<string, string>();
const store = () =>
  new OutputStore(join(dir, 'store'), {
    storedOutput: async (jobId, key) => index.get(`${jobId}|${key}`),
    recordStoredOutput: async (jobId, key, item) => void index.set(`${jobId}|${key}`, item),
  });
const found = (
  originalPrefix: string,
  path = source,
  type: 'output' | 'temp' = 'output',
): FoundOutput => ({
  nodeId: '9',
  key: 'images',
  type,
  originalPrefix,
  source: { path },
  extension: '.png',
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'comfyume-outputs-'));
  source = join(dir, 'src.png');
  await writeFile(source, 'png bytes');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('OutputStore', () => {
  it('names files as ComfyUI does and continues the counter per user folder', async () => {
    const s = store();
    await mkdir(join(s.userDir('u1', 'output'), 'renders'), { recursive: true });
    await writeFile(join(s.userDir('u1', 'output'), 'renders', 'Cat_00007_.webp'), 'x'); // any extension, any case
    const a = await s.store('u1', randomUUID(), found('renders/cat'));
    const b = await s.store('u1', randomUUID(), found('renders/cat'));
    const other = await s.store('u2', randomUUID(), found('renders/cat'));
    expect([a.filename, b.filename, other.filename]).toEqual([
      'cat_00008_.png',
      'cat_00009_.png',
      'cat_00001_.png',
    ]);
    expect(a).toMatchObject({ subfolder: 'renders', type: 'output' });
    expect(await readFile(join(s.userDir('u1', 'output'), 'renders', a.filename), 'utf8')).toBe(
      'png bytes',
    );
    const temp = await s.store('u1', randomUUID(), found('ComfyUI_temp_abcde', source, 'temp'));
    expect(temp).toEqual({
      filename: 'ComfyUI_temp_abcde_00001_.png',
      subfolder: '',
      type: 'temp',
    });
    expect((await readdir(s.userDir('u1', 'output'))).filter((n) => n.startsWith('.part'))).toEqual(
      [],
    );
  });

  it('stores each source once, also when called concurrently or after a crash between naming and placing', async () => {
    const s = store();
    const jobId = randomUUID();
    const [x, y] = await Promise.all([
      s.store('u3', jobId, found('once/img')),
      s.store('u3', jobId, found('once/img')),
    ]);
    expect(x).toEqual(y);
    expect(await store().store('u3', jobId, found('once/img'))).toEqual(x); // a restarted relay
    await unlink(join(s.userDir('u3', 'output'), 'once', x.filename)); // killed after recording the name
    expect(await store().store('u3', jobId, found('once/img'))).toEqual(x);
    expect(await readdir(join(s.userDir('u3', 'output'), 'once'))).toEqual([x.filename]);
  });

  it('never shares a name another job took while ours was recorded but not yet placed (a Redis outage in between)', async () => {
    const s = store();
    const [mine, theirs] = [randomUUID(), randomUUID()];
    const key = `9|output|${source}`;
    // Our name was recorded, then Redis went away before the link; meanwhile another job linked that name.
    index.set(
      `${mine}|${key}`,
      JSON.stringify({ filename: 'race_00001_.png', subfolder: '', type: 'output' }),
    );
    const other = join(dir, 'other.png');
    await writeFile(other, 'other job bytes');
    expect((await s.store('u5', theirs, found('race', other))).filename).toBe('race_00001_.png');
    const item = await s.store('u5', mine, found('race'));
    expect(item.filename).toBe('race_00002_.png');
    const folder = s.userDir('u5', 'output');
    expect(await readFile(join(folder, 'race_00001_.png'), 'utf8')).toBe('other job bytes');
    expect(await readFile(join(folder, 'race_00002_.png'), 'utf8')).toBe('png bytes');
    expect(await store().store('u5', mine, found('race'))).toEqual(item); // and it stays ours
    expect((await readdir(folder)).sort()).toEqual(['race_00001_.png', 'race_00002_.png']);
  });

  it('downloads a large output from a GPU that closes the connection after it (undici#5360 crashed the relay here)', async () => {
    const body = Buffer.alloc(48 * 1024 * 1024, 7);
    const gpu = createServer((socket) =>
      socket.once('data', () => {
        socket.write(
          `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
        );
        socket.end(body); // the whole body, then FIN: a reader paused by the disk meets the socket's end
      }),
    );
    await new Promise<void>((resolve) => gpu.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = gpu.address() as { port: number };
      const item = await store().store('u4', randomUUID(), {
        ...found('big'),
        source: { url: `http://127.0.0.1:${port}/view?filename=big.png` },
      });
      const stored = await readFile(join(dir, 'store', 'u4', item.filename));
      expect(stored.length).toBe(body.length);
    } finally {
      gpu.close();
    }
  });

  it("resolves /view requests inside the user's folder only", async () => {
    const s = store();
    const item = await s.store('u4', randomUUID(), found('v/pic'));
    expect(await s.resolve('u4', { filename: item.filename, subfolder: 'v' })).toBe(
      join(s.userDir('u4', 'output'), 'v', item.filename),
    );
    await expect(
      s.resolve('u5', { filename: item.filename, subfolder: 'v' }),
    ).rejects.toMatchObject({ code: 'not_found' });
    for (const q of [
      { filename: '../u4/v/x.png' },
      { filename: '/etc/passwd' },
      { filename: 'x.png', subfolder: '../u4' },
      { filename: 'x.png', subfolder: '/abs' },
    ])
      await expect(s.resolve('u5', q)).rejects.toMatchObject({ code: 'path_escape' });
    await expect(s.resolve('u4', { filename: item.filename, type: 'input' })).rejects.toMatchObject(
      { code: 'bad_request' },
    );
  });

  it('serves no symlink that leads out of the user folder, and stores through none', async () => {
    const s = store();
    const user = s.userDir('u6', 'output');
    await mkdir(user, { recursive: true });
    await symlink(source, join(user, 'leak.png'));
    await symlink(dir, join(user, 'out'));
    await expect(s.resolve('u6', { filename: 'leak.png' })).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(s.resolve('u6', { filename: 'src.png', subfolder: 'out' })).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(s.store('u6', randomUUID(), found('out/escaped'))).rejects.toMatchObject({
      code: 'path_escape',
    });
    expect((await readdir(dir)).filter((n) => n.startsWith('escaped'))).toEqual([]);
  });

  it('normalises subfolders and refuses escapes', () => {
    expect(safeSubfolder('a/./b/')).toBe('a/b');
    expect(safeSubfolder('')).toBe('');
    expect(() => safeSubfolder('a/../../b')).toThrow(/leave/);
    expect(() => safeSubfolder('C:\\x')).toThrow(/relative/);
  });
});
