/**
 * The bad-input corpus (issue 11, item 5): what an attacker or a broken client sends, to the
 * sidecar (ComfyUI's routes) and to the relay (its REST API), each answered with a clear 4xx that
 * names the problem — never a 500, never a stack overflow — while the jobs around them run on:
 * deep nesting, oversized and malformed bodies, path escapes, a symlink out of the input folder,
 * spoofed user headers, another user's ids on every route (404, never "already used"), an unknown
 * node class, /metrics without the operator token, and a revoked token.
 * One stack: real Redis, a real relay (direct mode) on a simulated GPU, two attendees' sidecars.
 */
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { mintUserToken } from '../../kit/user-token';
import {
  ADMIN_TOKEN,
  RELAY_SECRET,
  startStack,
  TabSocket,
  type Attendee,
  type Stack,
} from '../support/sidecar-stack';
import { eventually } from '../../kit/until';
import { fixturesDir } from '../support/recorded-ws';

const run = promisify(execFile);
const bin = resolve(import.meta.dirname, '../../bin/comfyume.js');
const pngBytes = readFileSync(
  resolve(fixturesDir, 'real-0.8.0/run1_empty_save/view_2_output_realcomfy_run1_00001_.png'),
);

let stack: Stack;
let alice: Attendee;
let bob: Attendee;

beforeAll(async () => {
  stack = await startStack();
  alice = await stack.attendee('user001', { SIDECAR_MAX_BODY_BYTES: String(1024 * 1024) });
  bob = await stack.attendee('user002');
});
afterAll(async () => {
  await stack?.close();
});

type ComfyError = {
  error: { type: string; message: string; details: string; extra_info: object };
  node_errors: Record<
    string,
    { errors: { type: string; message: string; details: string }[]; class_type: string }
  >;
};
type RelayErrorBody = { error: { code: string; message: string } };

const simple = (color: number, prefix = 'corpus') => ({
  '1': { class_type: 'EmptyImage', inputs: { width: 16, height: 16, batch_size: 1, color } },
  '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: prefix } },
});
/** `depth` arrays inside one another, as JSON text (built as text: no recursion in the test either). */
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
/** A JSON body with `raw` JSON text spliced in at `"__RAW__"`. */
const withRaw = (body: object, raw: string) => JSON.stringify(body).replace('"__RAW__"', raw);

async function prompt(a: Attendee, body: string | object, headers: Record<string, string> = {}) {
  const res = await fetch(`${a.url}/prompt`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, type: res.headers.get('content-type') ?? '', text, json };
}

async function relay(
  method: string,
  path: string,
  token: string,
  body?: string | object,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${stack.relayUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return {
    status: res.status,
    text,
    json: json as RelayErrorBody & { job: { id: string; state: string; userId: string } } & {
      jobs: { id: string }[];
      total: number;
    },
  };
}

/** Queues a prompt through the sidecar and waits for its end on the tab: the prompt id. */
async function runToEnd(a: Attendee, body: object): Promise<string> {
  const tab = await TabSocket.open(a.url);
  const res = await prompt(a, { ...body, client_id: tab.sid });
  expect(res.status, res.text).toBe(200);
  const id = (res.json as { prompt_id: string }).prompt_id;
  await tab.untilEnd(id);
  expect(
    tab.texts().some((m) => m.type === 'execution_success' && m.data.prompt_id === id),
    JSON.stringify(tab.texts().find((m) => m.type === 'execution_error')),
  ).toBe(true);
  tab.close();
  return id;
}

const aliceToken = () => mintUserToken(RELAY_SECRET, 'user001');
const bobToken = () => mintUserToken(RELAY_SECRET, 'user002');

describe('the sidecar refuses bad input with ComfyUI-shaped 4xx the stock frontend shows', () => {
  it('a 5,000-deep extra_data.workflow: 400 too_deep naming the limit, and a 200-deep one still runs', async () => {
    const deep = await prompt(
      alice,
      withRaw({ prompt: simple(1), extra_data: { workflow: '__RAW__' } }, nested(5_000)),
    );
    expect(deep.status).toBe(400);
    expect(deep.type).toMatch(/^application\/json/);
    expect(deep.json).toMatchObject({
      error: { type: 'too_deep', message: expect.stringContaining('deeper than 256 levels') },
      node_errors: {},
    });
    await runToEnd(alice, {
      prompt: simple(2),
      extra_data: { workflow: JSON.parse(nested(200)) as unknown },
    });
  });

  it('an oversized body: 413 naming the limit; malformed JSON: 400 naming the problem', async () => {
    const big = await prompt(alice, { prompt: simple(3), pad: 'x'.repeat(2 * 1024 * 1024) });
    expect(big.status).toBe(413);
    expect(big.json).toMatchObject({
      error: { type: 'body_too_large', message: expect.stringContaining('1 MiB') },
      node_errors: {},
    });
    for (const raw of ['{not json', '{"prompt": {"1": ', '[[[[']) {
      const bad = await prompt(alice, raw);
      expect(bad.status, raw).toBe(400);
      expect(bad.json, raw).toMatchObject({
        error: { type: 'invalid_json', message: expect.stringMatching(/not valid JSON/) },
        node_errors: {},
      });
    }
  });

  it('an unknown node class: 400 naming the class', async () => {
    const res = await prompt(alice, {
      prompt: { ...simple(4), '9': { class_type: 'NoSuchNode', inputs: {} } },
    });
    expect(res.status).toBe(400);
    expect(res.text).toContain('NoSuchNode');
  });

  it('path escapes: an input name that leaves its folder is refused on its node; a save prefix fails as ComfyUI fails it, writing nothing', async () => {
    // ComfyUI accepts this prompt and fails it when SaveImage runs; the stock UI shows that error.
    const tab = await TabSocket.open(alice.url);
    const save = await prompt(alice, { prompt: simple(5, '../../escape'), client_id: tab.sid });
    expect(save.status).toBe(200);
    const saveId = (save.json as { prompt_id: string }).prompt_id;
    await tab.untilEnd(saveId);
    const failure = tab
      .texts()
      .find((m) => m.type === 'execution_error' && m.data.prompt_id === saveId);
    expect(failure?.data.exception_message).toMatch(/outside the output folder/);
    tab.close();
    expect(await readdir(stack.root)).not.toContain('escape_00001_.png');
    const load = await prompt(alice, {
      prompt: {
        '1': { class_type: 'LoadImage', inputs: { image: '../../../etc/passwd' } },
        '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'x' } },
      },
    });
    expect(load.status).toBe(400);
    expect((load.json as ComfyError).node_errors['1']?.errors[0]?.details).toMatch(
      /Invalid image file: \.\.\/\.\.\/\.\.\/etc\/passwd/,
    );
  });

  it('a symlink in the input folder pointing outside it: "Invalid image file" on that node, nothing uploaded; a real file inside still runs', async () => {
    const secret = join(stack.root, 'outside-secret.png');
    await writeFile(secret, Buffer.concat([pngBytes, Buffer.from('secret tail')]));
    await mkdir(alice.dirs.input, { recursive: true });
    await symlink(secret, join(alice.dirs.input, 'escape.png'));
    await writeFile(join(alice.dirs.input, 'inside.png'), pngBytes);
    const loader = (image: string, prefix: string) => ({
      '1': { class_type: 'LoadImage', inputs: { image } },
      '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: prefix } },
    });
    const res = await prompt(alice, { prompt: loader('escape.png', 'leak') });
    expect(res.status).toBe(400);
    const body = res.json as ComfyError;
    expect(body.error.type).toBe('prompt_outputs_failed_validation');
    expect(body.node_errors['1']).toMatchObject({
      class_type: 'LoadImage',
      errors: [
        {
          type: 'custom_validation_failed',
          details: expect.stringContaining('Invalid image file: escape.png'),
        },
      ],
    });
    const leaked = createHash('sha256').update(readFileSync(secret)).digest('hex');
    const uploaded = await readdir(join(stack.relay.parts.config.inputDir, 'user001')).catch(
      () => [] as string[],
    );
    expect(uploaded).not.toContain(leaked);
    await runToEnd(alice, { prompt: loader('inside.png', 'inside') });
  });

  it("spoofed user headers change nothing: the job is the sidecar user's, invisible to the other", async () => {
    const headers = {
      'x-user-id': 'user002',
      'comfy-user': 'user002',
      'x-forwarded-user': 'user002',
      'remote-user': 'user002',
    };
    const res = await prompt(alice, { prompt: simple(6, 'spoofed') }, headers);
    expect(res.status).toBe(200);
    const id = (res.json as { prompt_id: string }).prompt_id;
    const mine = await relay('GET', `/api/jobs/${id}`, aliceToken());
    expect([mine.status, mine.json.job.userId]).toEqual([200, 'user001']);
    expect(
      (await relay('GET', `/api/jobs/${id}`, bobToken(), undefined, { 'x-user-id': 'user001' }))
        .status,
    ).toBe(404);
  });
});

describe("another user's ids: 404 (or ComfyUI's not-found answer) on every route, and nothing changes", () => {
  let bobJob: string;
  let bobFile: string;
  beforeAll(async () => {
    const tab = await TabSocket.open(bob.url);
    const res = await prompt(bob, {
      prompt: simple(7, 'bobs'),
      client_id: tab.sid,
      prompt_id: '11111111-2222-4333-8444-555555555555',
    });
    expect(res.status).toBe(200);
    bobJob = (await relay('GET', '/api/jobs?full=1', bobToken())).json.jobs.map((j) => j.id).at(0)!;
    await tab.untilEnd('11111111-2222-4333-8444-555555555555');
    const saved = tab.texts().find((m) => m.type === 'executed')?.data.output as {
      images: { filename: string }[];
    };
    bobFile = saved.images[0]!.filename;
    tab.close();
  });

  it('on the relay: read, cancel, resubmit with that id, view', async () => {
    const a = aliceToken();
    for (const [method, path] of [
      ['GET', `/api/jobs/${bobJob}`],
      ['DELETE', `/api/jobs/${bobJob}`],
    ] as const) {
      const res = await relay(method, path, a);
      expect([res.status, res.json.error.code], `${method} ${path}`).toEqual([404, 'not_found']);
    }
    for (const promptBody of [simple(7, 'bobs'), simple(8, 'other')]) {
      const res = await relay('POST', '/api/jobs', a, {
        jobId: bobJob,
        prompt: promptBody,
        clientId: 'x',
        outputsToExecute: ['2'],
        inputs: [],
      });
      expect([res.status, res.json.error.code]).toEqual([404, 'not_found']);
      expect(res.json.error.message).not.toMatch(/already used/);
    }
    expect((await relay('GET', `/api/view?filename=${bobFile}&type=output`, a)).status).toBe(404);
    expect((await relay('GET', '/api/jobs', a)).json.jobs.map((j) => j.id)).not.toContain(bobJob);
  });

  it("on the sidecar: history, jobs, cancel, interrupt, delete — and bob's prompt_id is alice's own name", async () => {
    expect(await (await fetch(`${alice.url}/history/${bobJob}`)).json()).toEqual({});
    expect((await fetch(`${alice.url}/api/jobs/${bobJob}`)).status).toBe(404);
    await fetch(`${alice.url}/api/jobs/${bobJob}/cancel`, { method: 'POST' });
    await fetch(`${alice.url}/queue`, {
      method: 'POST',
      body: JSON.stringify({ delete: [bobJob] }),
    });
    await fetch(`${alice.url}/history`, {
      method: 'POST',
      body: JSON.stringify({ delete: [bobJob] }),
    });
    await fetch(`${alice.url}/interrupt`, {
      method: 'POST',
      body: JSON.stringify({ prompt_id: bobJob }),
    });
    expect((await fetch(`${alice.url}/view?filename=${bobFile}&type=output`)).status).toBe(404);
    // The same client-chosen prompt_id as bob's: accepted as alice's own name (no "already used").
    const same = await runToEnd(alice, {
      prompt: simple(9),
      prompt_id: '11111111-2222-4333-8444-555555555555',
    });
    expect(same).toBe('11111111-2222-4333-8444-555555555555');
    // Bob lost nothing: his job is done, in his history, his file is his.
    const his = await relay('GET', `/api/jobs/${bobJob}`, bobToken());
    expect([his.status, his.json.job.state]).toEqual([200, 'done']);
    expect(Object.keys((await (await fetch(`${bob.url}/history`)).json()) as object)).toContain(
      '11111111-2222-4333-8444-555555555555',
    );
    expect((await fetch(`${bob.url}/view?filename=${bobFile}&type=output`)).status).toBe(200);
  });
});

describe('the relay refuses bad input with {error:{code,message}}', () => {
  const job = (extra: Record<string, unknown> = {}) => ({
    jobId: randomUUID(),
    prompt: simple(10),
    clientId: 'c',
    outputsToExecute: ['2'],
    inputs: [],
    ...extra,
  });

  it('deep nesting (400 too_deep), malformed JSON (400), oversized (413), escapes (400 path_escape)', async () => {
    const t = mintUserToken(RELAY_SECRET, 'user003');
    const deep = await relay(
      'POST',
      '/api/jobs',
      t,
      withRaw(job({ extraData: { workflow: '__RAW__' } }), nested(5_000)),
    );
    expect([deep.status, deep.json.error.code]).toEqual([400, 'too_deep']);
    expect(deep.json.error.message).toContain('256 levels');
    const deepPatch = await relay(
      'PATCH',
      `/api/jobs/${randomUUID()}/priority`,
      ADMIN_TOKEN,
      `{"lane":${nested(300)}}`,
    );
    expect([deepPatch.status, deepPatch.json.error.code]).toEqual([400, 'too_deep']);
    const bad = await relay('POST', '/api/jobs', t, '{"jobId": ');
    expect([bad.status, bad.json.error.code]).toEqual([400, 'invalid_json']);
    const big = await relay(
      'POST',
      '/api/jobs',
      t,
      job({ extraData: { pad: 'x'.repeat(21 * 1024 * 1024) } }),
    );
    expect([big.status, big.json.error.code]).toEqual([413, 'body_too_large']);
    expect(big.json.error.message).toContain('RELAY_MAX_BODY_MB');
    const escape = await relay('POST', '/api/jobs', t, job({ prompt: simple(11, '../../x') }));
    expect([escape.status, escape.json.error.code]).toEqual([400, 'path_escape']);
    const input = await relay(
      'POST',
      '/api/jobs',
      t,
      job({ inputs: [{ path: '../../etc/passwd', sha256: '0'.repeat(64) }] }),
    );
    expect([input.status, input.json.error.code]).toEqual([400, 'path_escape']);
    const view = await relay('GET', '/api/view?filename=x.png&subfolder=../user001', t);
    expect([view.status, view.json.error.code]).toEqual([400, 'path_escape']);
    // None of it was stored: user003 has no jobs.
    expect((await relay('GET', '/api/jobs', t)).json.total).toBe(0);
  });

  it('/metrics needs the operator token', async () => {
    const none = await fetch(`${stack.relayUrl}/metrics`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as RelayErrorBody).error.message).toMatch(
      /ADMIN_TOKEN.*METRICS_PUBLIC=1/,
    );
    expect(
      (
        await fetch(`${stack.relayUrl}/metrics`, {
          headers: { authorization: `Bearer ${aliceToken()}` },
        })
      ).status,
    ).toBe(403);
    const admin = await fetch(`${stack.relayUrl}/metrics`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(admin.status).toBe(200);
    expect(await admin.text()).toContain('comfyume_relay_queue_depth');
  });

  it("comfyume token --revoke: that user's older tokens get 401 saying so, a new one works, others are untouched", async () => {
    const env = {
      ...process.env,
      RELAY_SECRET,
      REDIS_URL: stack.redis.url,
      REDIS_PREFIX: stack.relay.parts.config.redisPrefix,
    };
    const issued = async () =>
      (await run(process.execPath, [bin, 'token', 'user004'], { env })).stdout.trim();
    const old = await issued();
    const legacy = mintUserToken(RELAY_SECRET, 'user004');
    expect((await relay('GET', '/api/jobs', old)).status).toBe(200);
    const socket = new WebSocket(`${stack.relayUrl.replace(/^http/, 'ws')}/api/events`, {
      headers: { authorization: `Bearer ${old}` },
    });
    const closedWith = new Promise<number>((resolve) =>
      socket.on('close', (code) => resolve(code)),
    );
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const revoked = await run(process.execPath, [bin, 'token', '--revoke', 'user004'], { env });
    expect(revoked.stdout).toMatch(/revoked: tokens of user004/);
    const refused = await eventually(
      async () => {
        const res = await relay('GET', '/api/jobs', old);
        return res.status === 401 ? res : undefined;
      },
      15_000,
      'the revocation seen by the relay',
    );
    expect(refused.json.error).toMatchObject({
      code: 'unauthorized',
      message: expect.stringMatching(/revoked by the operator.*comfyume token user004/),
    });
    expect((await relay('GET', '/api/jobs', legacy)).status).toBe(401);
    expect(await closedWith).toBe(4401); // its open event stream is closed too
    const fresh = await issued();
    expect((await relay('GET', '/api/jobs', fresh)).status).toBe(200);
    expect((await relay('POST', '/api/jobs', fresh, job())).status).toBe(201);
    expect((await relay('GET', '/api/jobs', aliceToken())).status).toBe(200);
  });

  it('after the whole corpus the sidecars still queue and run', async () => {
    await runToEnd(alice, { prompt: simple(12, 'after') });
    await runToEnd(bob, { prompt: simple(13, 'after') });
  });
});
