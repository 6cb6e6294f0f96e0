/**
 * The instructor's workshop through real sockets: a relay on real Redis reading a workflows folder,
 * and per attendee a simulated ComfyUI with its sidecar. The Workflows sidebar's userdata calls (both
 * frontend generations' list call, the older plain and split lists, /v2/userdata) list the workshop's
 * workflows beside the attendee's own; opening one gives it, saving it keeps an own copy; a publish
 * reaches a page that said hello (and not a stock page); a broadcast arrives as text; bad names,
 * bad workflows and an attendee publishing are refused.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN,
  RELAY_SECRET,
  startStack,
  TabSocket,
  type Attendee,
  type Stack,
} from '../support/sidecar-stack';
import { mintUserToken } from '../../kit/user-token';

const HELLO = { type: 'comfyume.hello', data: { extension: 'comfyume' } };
const workflow = (title: string) => ({
  last_node_id: 1,
  last_link_id: 0,
  nodes: [{ id: 1, type: 'EmptyLatentImage', pos: [0, 0], size: [300, 100], title }],
  links: [],
  groups: [],
  config: {},
  extra: {},
  version: 0.4,
});
const LIST_27 = '/api/userdata?dir=workflows&recurse=true&split=false&full_info=true';

let folder: string;
let stack: Stack;
let alice: Attendee;
let bob: Attendee;

const get = (a: Attendee, path: string) => fetch(`${a.url}${path}`);
const getJson = async (a: Attendee, path: string) => {
  const response = await get(a, path);
  expect(response.status, path).toBe(200);
  return (await response.json()) as unknown;
};
const post = (a: Attendee, path: string, body: string) =>
  fetch(`${a.url}${path}`, { method: 'POST', body, headers: { origin: a.url } });
const relayCall = (path: string, token: string, init: RequestInit = {}) =>
  fetch(`${stack.relayUrl}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  });
/** A GET whose path is sent byte for byte. */
const rawStatus = (a: Attendee, path: string) =>
  new Promise<number>((resolve, reject) => {
    const req = request(`${a.url}${path}`, { path }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
const names = (list: unknown) =>
  (list as ({ path: string } | string)[]).map((e) => (typeof e === 'string' ? e : e.path)).sort();

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'comfyume-workshop-'));
  await writeFile(join(folder, 'intro.json'), JSON.stringify(workflow('intro')));
  await writeFile(join(folder, 'upscale.json'), JSON.stringify(workflow('upscale')));
  await writeFile(join(folder, 'broken.json'), '{ not json');
  await writeFile(
    join(folder, 'api.json'),
    JSON.stringify({ '1': { class_type: 'X', inputs: {} } }),
  );
  stack = await startStack({
    relayEnv: { WORKSHOP_WORKFLOWS_DIR: folder, WORKSHOP_DEFAULT_WORKFLOW: 'intro.json' },
  });
  alice = await stack.attendee('user001');
  bob = await stack.attendee('user002', {}, { version: '0.8.0' });
});
afterAll(async () => {
  await stack?.close();
  await rm(folder, { recursive: true, force: true });
});

describe('the Workflows sidebar', () => {
  it('lists the folder’s valid workflows (both generations’ list call, plain, split, v2), and the default', async () => {
    for (const a of [alice, bob]) {
      const full = (await getJson(a, LIST_27)) as { path: string; size: number }[];
      expect(names(full)).toEqual(['intro.json', 'upscale.json']);
      expect(full[0]).toMatchObject({ size: expect.any(Number), modified: expect.any(Number) });
      expect(await getJson(a, '/userdata?dir=workflows')).toEqual(
        expect.arrayContaining(['intro.json', 'upscale.json']),
      );
      expect(await getJson(a, '/api/userdata?dir=workflows&split=true')).toEqual(
        expect.arrayContaining([['intro.json', 'intro.json']]),
      );
      const v2 = (await getJson(a, '/api/v2/userdata?path=workflows')) as { path: string }[];
      expect(v2.map((e) => e.path)).toEqual(['workflows/intro.json', 'workflows/upscale.json']);
      const root = (await getJson(a, '/api/v2/userdata')) as { path: string; type: string }[];
      expect(root[0]).toEqual({ name: 'workflows', path: 'workflows', type: 'directory' });
    }
    const list = (await (
      await relayCall('/api/workshop/workflows', mintUserToken(RELAY_SECRET, 'user001'))
    ).json()) as { default?: string };
    expect(list.default).toBe('intro.json');
  });

  it('opens a template; saving it under its name keeps an own copy that shadows it, the instructor’s stays', async () => {
    const path = '/api/userdata/workflows%2Fintro.json';
    expect(await getJson(alice, path)).toEqual(workflow('intro'));
    const saved = await post(
      alice,
      `${path}?overwrite=true&full_info=true`,
      JSON.stringify(workflow('mine')),
    );
    expect(saved.status).toBe(200);
    expect(((await saved.json()) as { path: string }).path).toBe('workflows/intro.json');
    expect(await getJson(alice, path)).toEqual(workflow('mine'));
    const own = join(alice.dirs.output, '..', 'user', 'default', 'workflows', 'intro.json');
    expect(JSON.parse(await readFile(own, 'utf8'))).toEqual(workflow('mine'));
    // The listing names it once; bob and the folder still have the instructor's.
    expect(names(await getJson(alice, LIST_27))).toEqual(['intro.json', 'upscale.json']);
    expect(await getJson(bob, '/userdata/workflows%2Fintro.json')).toEqual(workflow('intro'));
    expect(JSON.parse(await readFile(join(folder, 'intro.json'), 'utf8'))).toEqual(
      workflow('intro'),
    );
    // An attendee's own other workflow sits beside the templates.
    expect(
      (await post(alice, '/api/userdata/workflows%2Fnotes.json', '{"nodes":[],"links":[]}')).status,
    ).toBe(200);
    expect(names(await getJson(alice, LIST_27))).toEqual([
      'intro.json',
      'notes.json',
      'upscale.json',
    ]);
  });

  it('refuses names with path characters, .. and leftover escapes (400), reading and writing nothing', async () => {
    const outside = join(alice.dirs.output, '..', 'escaped.json');
    for (const path of [
      '/api/userdata/..%2F..%2Fescaped.json',
      '/api/userdata/workflows%2F..%2F..%2F..%2Fescaped.json',
      '/api/userdata/workflows%252F..%252Fescaped.json',
      '/api/userdata/workflows%2F%2e%2e%2Fx.json',
      '/api/userdata/workflows%5C..%5Cescaped.json',
      '/userdata/%2Fetc%2Fpasswd',
    ]) {
      expect((await get(alice, path)).status, path).toBe(400);
      expect((await post(alice, path, '{}')).status, path).toBe(400);
    }
    // Sent as is (fetch would resolve the dots before sending).
    for (const raw of ['/api/userdata/workflows/../../escaped.json', '/userdata/a/b/c.json'])
      expect(await rawStatus(alice, raw), raw).toBe(400);
    expect((await get(alice, '/api/userdata?dir=..%2F..')).status).toBe(400);
    expect((await get(alice, '/api/v2/userdata?path=workflows%2F..%2F..')).status).toBe(400);
    const move = await post(
      alice,
      '/api/userdata/workflows%2Fnotes.json/move/..%2F..%2Fescaped.json',
      '',
    );
    expect(move.status).toBe(400);
    expect(existsSync(outside)).toBe(false);
    // A workshop name that is not one of the workshop's goes to the attendee's ComfyUI: 404.
    expect((await get(alice, '/api/userdata/workflows%2Fnope.json')).status).toBe(404);
  });
});

describe('publishing and broadcasting', () => {
  it('a published workflow reaches a page that said hello within seconds, lists and opens everywhere', async () => {
    const page = await TabSocket.open(alice.url, 'page-1');
    const stock = await TabSocket.open(alice.url, 'stock-1');
    page.ws.send(JSON.stringify(HELLO));
    await page.until(() => page.texts().some((m) => m.type === 'comfyume.relay'));
    const published = await relayCall(
      '/api/workshop/workflows/live%20demo.json?default=1',
      ADMIN_TOKEN,
      {
        method: 'PUT',
        body: JSON.stringify(workflow('live')),
      },
    );
    expect(published.status).toBe(200);
    await page.until(() => page.texts().some((m) => m.type === 'comfyume.workflow'), 10_000);
    expect(page.texts().find((m) => m.type === 'comfyume.workflow')?.data).toMatchObject({
      name: 'live demo.json',
      isDefault: true,
    });
    expect(names(await getJson(bob, LIST_27))).toContain('live demo.json');
    expect(await getJson(bob, '/api/userdata/workflows%2Flive%20demo.json')).toEqual(
      workflow('live'),
    );
    // The stock page got nothing of ours.
    expect(stock.texts().some((m) => m.type.startsWith('comfyume.'))).toBe(false);

    const said = await relayCall('/api/workshop/broadcast', ADMIN_TOKEN, {
      method: 'POST',
      body: JSON.stringify({ text: '  <b>Break</b> until 11:00  ' }),
    });
    expect(said.status).toBe(202);
    await page.until(() => page.texts().some((m) => m.type === 'comfyume.broadcast'), 10_000);
    expect(page.texts().find((m) => m.type === 'comfyume.broadcast')?.data.text).toBe(
      '<b>Break</b> until 11:00',
    );
    expect(stock.texts().some((m) => m.type.startsWith('comfyume.'))).toBe(false);
    page.close();
    stock.close();
  });

  it('refuses an attendee publishing or broadcasting (403), and a file that is not a workflow (400, the reason)', async () => {
    const user = mintUserToken(RELAY_SECRET, 'user001');
    const asUser = await relayCall('/api/workshop/workflows/x.json', user, {
      method: 'PUT',
      body: JSON.stringify(workflow('x')),
    });
    expect(asUser.status).toBe(403);
    const sayAsUser = await relayCall('/api/workshop/broadcast', user, {
      method: 'POST',
      body: JSON.stringify({ text: 'hi' }),
    });
    expect(sayAsUser.status).toBe(403);
    const api = await relayCall('/api/workshop/workflows/api.json', ADMIN_TOKEN, {
      method: 'PUT',
      body: JSON.stringify({ '1': { class_type: 'KSampler', inputs: {} } }),
    });
    expect(api.status).toBe(400);
    expect(((await api.json()) as { error: { message: string } }).error.message).toMatch(/nodes/);
    const notJson = await relayCall('/api/workshop/workflows/bad.json', ADMIN_TOKEN, {
      method: 'PUT',
      body: '{ nope',
    });
    expect(notJson.status).toBe(400);
    for (const name of ['..%2Fx.json', 'a%2Fb.json', '.hidden.json', 'x.txt']) {
      const bad = await relayCall(`/api/workshop/workflows/${name}`, ADMIN_TOKEN, {
        method: 'PUT',
        body: JSON.stringify(workflow('x')),
      });
      expect(bad.status, name).toBe(400);
    }
    const long = await relayCall('/api/workshop/broadcast', ADMIN_TOKEN, {
      method: 'POST',
      body: JSON.stringify({ text: 'x'.repeat(281) }),
    });
    expect(long.status).toBe(400);
    expect(names(await getJson(alice, LIST_27))).not.toContain('x.json');
  });
});

describe('the operator’s CLI (real processes)', () => {
  const bin = join(import.meta.dirname, '../../bin/comfyume.js');
  const comfyume = (...args: string[]) =>
    promisify(execFile)(process.execPath, [bin, ...args], {
      env: {
        ...process.env,
        COMFYUME_HOME: folder,
        ADMIN_TOKEN,
        RELAY_URL: stack.relayUrl,
      },
    }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );

  it('workflows publish: a good file reaches every sidebar; a bad one is refused with the file and the reason', async () => {
    const good = join(folder, 'handout.json');
    await writeFile(good, JSON.stringify(workflow('handout')));
    const ok = await comfyume('workflows', 'publish', good, '--name', 'Hand out');
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toContain('published Hand out.json');
    expect(names(await getJson(bob, LIST_27))).toContain('Hand out.json');

    const broken = join(folder, 'broken.json');
    const notJson = await comfyume('workflows', 'publish', broken);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toContain(`${broken}: not valid JSON`);
    const api = join(folder, 'api.json');
    const apiFormat = await comfyume('workflows', 'publish', api);
    expect(apiFormat.code).toBe(2);
    expect(apiFormat.stderr).toContain(`${api}: not a ComfyUI workflow`);
    expect(names(await getJson(bob, LIST_27))).not.toContain('api.json');
  });

  it('say: the line reaches a page; an empty or too long one is refused', async () => {
    const page = await TabSocket.open(bob.url, 'page-say');
    page.ws.send(JSON.stringify(HELLO));
    await page.until(() => page.texts().some((m) => m.type === 'comfyume.relay'));
    const said = await comfyume('say', 'Lunch', 'at', '<i>noon</i>');
    expect(said.code).toBe(0);
    await page.until(() => page.texts().some((m) => m.type === 'comfyume.broadcast'), 10_000);
    expect(page.texts().find((m) => m.type === 'comfyume.broadcast')?.data.text).toBe(
      'Lunch at <i>noon</i>',
    );
    page.close();
    expect((await comfyume('say', '   ')).code).toBe(2);
    expect((await comfyume('say', 'x'.repeat(300))).code).toBe(2);
  });
});
