/**
 * @fileoverview The generated nginx config, run for real (Debian's nginx, as this user, on a free
 * loopback port) in front of the real parts: user001/user002 are sidecars (each before its own
 * simulated ComfyUI), the relay is the real relay on a real Redis (GPU: a simulator). Each
 * /userNNN/ reaches only its own attendee with only its own credentials — HTTP, WebSocket
 * upgrade, 30 MB uploads, idle sockets kept alive by the sidecar's pings — and /admin/ plus the
 * relay API only with the admin credential. user003 is a deliberately slow upstream.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import pino from 'pino';
import { startSimulator, type RunningSimulator } from '../../simulator/src/app';
import { createRelay, type Relay } from '../../relay/src/app';
import { loadConfig as relayConfig } from '../../relay/src/config';
import { createSidecar, type Sidecar } from '../../sidecar/src/app';
import { loadConfig as sidecarConfig } from '../../sidecar/src/config';
import { mintUserToken } from '../../kit/user-token';
import { localNginxOptions, startLocalNginx, type LocalNginx } from '../../cli/src/stack/nginx';
import { generateUsers, type GeneratedUsers } from '../../cli/src/users/generate';
import { freePort } from '../../kit/free-port';
import { startRedis, type TestRedis } from '../../kit/redis-server';

const ADMIN_TOKEN = 'nginx-test-admin-token-0123456789';
const RELAY_SECRET = 'nginx-test-secret-0123456789';
const silent = pino({ level: 'silent' });
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/**
 * An attendee whose answers take a while and whose WebSocket never pings (as ComfyUI's does not).
 * nginx passes /user003/… unchanged (the sidecar strips its prefix; this stand-in has none to strip).
 */
function startSlowUpstream(): Promise<Server> {
  const server = createServer((req, res) => {
    const ms = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('ms') ?? 0);
    setTimeout(() => res.end(JSON.stringify({ waited: ms })), ms);
  });
  const wss = new WebSocketServer({ server, path: '/user003/ws' });
  wss.on('connection', (ws, req) => {
    const params = new URL(req.url ?? '/', 'http://x').searchParams;
    ws.send(
      JSON.stringify({
        type: 'status',
        data: { status: { exec_info: { queue_remaining: 0 } }, sid: params.get('clientId') },
      }),
    );
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const portOf = (server: Server) => (server.address() as { port: number }).port;
const listen = (server: Server) =>
  new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve(portOf(server))));

function openWs(
  url: string,
  headers: Record<string, string>,
): Promise<{ ws: WebSocket; first: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) =>
      reject(new Error(`upgrade refused: ${res.statusCode}`)),
    );
    ws.once('message', (data) => resolve({ ws, first: JSON.parse(data.toString()) }));
  });
}

describe('nginx in front of the attendees and the relay', () => {
  let tmp: string;
  let sims: RunningSimulator[] = [];
  let slow: Server;
  let redis: TestRedis;
  let relay: Relay;
  let sidecars: Sidecar[] = [];
  let nginx: LocalNginx;
  let creds: GeneratedUsers;
  let base: string;
  const auth = (id: string) => basic(id, creds.users.find((u) => u.id === id)!.password);
  const adminAuth = () => basic('admin', creds.admin.password);

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'comfyume-nginx-'));
    const dirs = (id: string) => ({
      outputDir: join(tmp, id, 'output'),
      inputDir: join(tmp, id, 'input'),
      tempDir: join(tmp, id, 'temp'),
    });
    // [0] = the GPU, [1] and [2] = user001's and user002's own ComfyUI.
    sims = await Promise.all(
      ['gpu', 'user001', 'user002'].map((id) => startSimulator({ ...dirs(id), stepMs: 10 })),
    );
    redis = await startRedis();
    relay = await createRelay(
      relayConfig({
        REDIS_URL: redis.url,
        REDIS_PREFIX: redis.prefix(),
        INFERENCE_MODE: 'direct',
        COMFYUI_GPU_URLS: sims[0]!.url,
        RELAY_SECRET,
        ADMIN_TOKEN,
        OUTPUT_DIR: join(tmp, 'relay-outputs'),
        LOG_LEVEL: 'silent',
      }),
      { logger: silent },
    );
    await relay.start();
    const relayPort = await listen(relay.server);
    sidecars = [];
    for (const [i, id] of ['user001', 'user002'].entries()) {
      const d = dirs(id);
      const sidecar = createSidecar(
        sidecarConfig({
          SIDECAR_LISTEN: '127.0.0.1:0',
          // As `comfyume up` and compose.users.yaml set it: nginx leaves /userNNN on the path.
          SIDECAR_BASE_PATH: `/${id}`,
          COMFYUI_URL: sims[i + 1]!.url,
          RELAY_URL: `http://127.0.0.1:${relayPort}`,
          USER_ID: id,
          RELAY_TOKEN: mintUserToken(RELAY_SECRET, id),
          COMFYUI_OUTPUT_DIR: d.outputDir,
          COMFYUI_INPUT_DIR: d.inputDir,
          COMFYUI_TEMP_DIR: d.tempDir,
          SIDECAR_STATE_DIR: join(tmp, id, 'sidecar'),
          // Short, to show within the test that pings keep a socket alive past nginx's read timeout.
          SIDECAR_WS_PING_MS: '1000',
          LOG_LEVEL: 'silent',
        }),
        { logger: silent },
      );
      sidecars.push(sidecar);
      await listen(sidecar.server);
    }
    slow = await startSlowUpstream();
    const usersDir = join(tmp, 'users');
    creds = await generateUsers({
      count: 3,
      outDir: usersDir,
      dockerDir: join(import.meta.dirname, '../../docker'),
      relaySecret: RELAY_SECRET,
      adminToken: ADMIN_TOKEN,
    });
    const port = await freePort();
    const upstreams = [
      ...sidecars.map((sc) => `127.0.0.1:${portOf(sc.server)}`),
      `127.0.0.1:${portOf(slow)}`,
    ];
    nginx = await startLocalNginx(
      localNginxOptions({
        port,
        users: creds.users.map((u, i) => ({ id: u.id, upstream: upstreams[i]! })),
        usersDir,
        relayUpstream: `127.0.0.1:${relayPort}`,
        adminToken: ADMIN_TOKEN,
        // Short, so this test can show the timeout is the one configured (production: 3600s).
        proxyTimeout: '3s',
      }),
      join(tmp, 'nginx'),
    );
    base = nginx.url;
  });

  afterAll(async () => {
    await nginx?.stop();
    for (const sidecar of sidecars) {
      sidecar.server.close();
      await sidecar.close();
    }
    await relay?.close();
    await Promise.all(sims.map((sim) => sim.close()));
    if (slow) await new Promise((r) => slow.close(r));
    await redis?.stop();
    await rm(tmp, { recursive: true, force: true });
  });

  it("user001's credentials reach /user001/ with the prefix stripped and no caching", async () => {
    const res = await fetch(`${base}/user001/api/system_stats`, {
      headers: { authorization: auth('user001') },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const stats = (await res.json()) as { system: { comfyui_version: string } };
    expect(stats.system.comfyui_version).toMatch(/\d+\.\d+/);
  });

  it('passes an encoded slash through unchanged: a userdata workflow saves and opens (ComfyUI needs %2F)', async () => {
    const path = `${base}/user001/api/userdata/workflows%2Fmy%20sketch.json`;
    const workflow = { nodes: [], links: [], version: 0.4, extra: { from: 'nginx-test' } };
    const saved = await fetch(`${path}?overwrite=true`, {
      method: 'POST',
      headers: { authorization: auth('user001'), 'content-type': 'application/json' },
      body: JSON.stringify(workflow),
    });
    expect(saved.status).toBe(200);
    const opened = await fetch(path, { headers: { authorization: auth('user001') } });
    expect(opened.status).toBe(200);
    expect(await opened.json()).toEqual(workflow);
    const listed = await fetch(`${base}/user001/api/userdata?dir=workflows`, {
      headers: { authorization: auth('user001') },
    });
    expect(await listed.json()).toContain('my sketch.json');
  });

  it("refuses missing, wrong and other users' credentials (401)", async () => {
    const none = await fetch(`${base}/user001/api/system_stats`);
    const wrong = await fetch(`${base}/user001/api/system_stats`, {
      headers: { authorization: basic('user001', 'not-the-password') },
    });
    const other = await fetch(`${base}/user002/api/system_stats`, {
      headers: { authorization: auth('user001') },
    });
    const swapped = await fetch(`${base}/user001/`, {
      headers: { authorization: auth('user002') },
    });
    expect([none.status, wrong.status, other.status, swapped.status]).toEqual([401, 401, 401, 401]);
    const own = await fetch(`${base}/user002/api/system_stats`, {
      headers: { authorization: auth('user002') },
    });
    expect(own.status).toBe(200);
  });

  it('keeps attendees off the relay API and /admin/, and lets the admin reach the relay with its bearer token', async () => {
    for (const path of ['/admin/', '/relay/api/jobs', '/api/jobs', '/api/queue/status']) {
      const res = await fetch(`${base}${path}`, { headers: { authorization: auth('user001') } });
      expect(res.status, path).toBe(401);
    }
    // The real relay accepts the Bearer admin token nginx adds for the operator.
    const status = await fetch(`${base}/relay/api/queue/status`, {
      headers: { authorization: adminAuth() },
    });
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({
      queued: 0,
      backends: [expect.objectContaining({ kind: 'direct' })],
    });
    const jobs = await fetch(`${base}/api/jobs?limit=5`, {
      headers: { authorization: adminAuth() },
    });
    expect(jobs.status).toBe(200);
    expect(await jobs.json()).toHaveProperty('jobs');
    const health = await fetch(`${base}/relay/health`, { headers: { authorization: adminAuth() } });
    expect(health.status).toBe(200);
    // Without the admin credential nothing of the relay is reachable.
    expect((await fetch(`${base}/relay/health`)).status).toBe(401);
    // The admin credential is not an attendee's.
    expect(
      (await fetch(`${base}/user001/`, { headers: { authorization: adminAuth() } })).status,
    ).toBe(401);
  });

  it('redirects /user001 to /user001/ (else the frontend calls the domain root)', async () => {
    const res = await fetch(`${base}/user001`, { redirect: 'manual' });
    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe('/user001/');
  });

  it("upgrades /user001/ws to the attendee's WebSocket, which announces the sid", async () => {
    const { ws, first } = await openWs(
      `${base.replace('http', 'ws')}/user001/ws?clientId=nginxtest1`,
      { authorization: auth('user001') },
    );
    ws.close();
    expect(first).toMatchObject({ type: 'status', data: { sid: 'nginxtest1' } });
    await expect(
      openWs(`${base.replace('http', 'ws')}/user002/ws?clientId=x`, {
        authorization: auth('user001'),
      }),
    ).rejects.toThrow(/401/);
  });

  it("passes a 30 MB upload, and a root-level /api/view from the attendee's page lands in their prefix", async () => {
    const bytes = randomBytes(30 * 1024 * 1024);
    const form = new FormData();
    form.append('image', new Blob([bytes], { type: 'image/png' }), 'big-upload.png');
    form.append('overwrite', 'true');
    const res = await fetch(`${base}/user001/upload/image`, {
      method: 'POST',
      body: form,
      headers: { authorization: auth('user001') },
    });
    expect(res.status).toBe(200);
    const uploaded = (await res.json()) as { name: string; type: string };
    expect(uploaded).toMatchObject({ name: 'big-upload.png', type: 'input' });
    expect((await stat(join(tmp, 'user001', 'input', 'big-upload.png'))).size).toBe(bytes.length);

    // A widget with an absolute URL (comfyui-protocol §6.2): redirected by Referer, then the attendee's own auth applies.
    const rootView = await fetch(`${base}/api/view?filename=big-upload.png&type=input`, {
      headers: { authorization: auth('user001'), referer: `${base}/user001/` },
      redirect: 'manual',
    });
    expect(rootView.status).toBe(307);
    expect(rootView.headers.get('location')).toBe(
      '/user001/api/view?filename=big-upload.png&type=input',
    );
    const view = await fetch(`${base}${rootView.headers.get('location')}`, {
      headers: { authorization: auth('user001') },
    });
    expect(view.status).toBe(200);
    expect(view.headers.get('cache-control')).toBeNull();
    expect(Buffer.from(await view.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('honours the configured proxy timeout: a slow answer under it passes, one over it is a 504', async () => {
    const ok = await fetch(`${base}/user003/slow?ms=1500`, {
      headers: { authorization: auth('user003') },
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ waited: 1500 });
    const late = await fetch(`${base}/user003/slow?ms=8000`, {
      headers: { authorization: auth('user003') },
    });
    expect(late.status).toBe(504);
  });

  it("keeps an idle attendee WebSocket open past nginx's read timeout thanks to the sidecar's pings; a silent one is closed", async () => {
    const pinged = await openWs(`${base.replace('http', 'ws')}/user001/ws?clientId=idle1`, {
      authorization: auth('user001'),
    });
    const silentWs = await openWs(`${base.replace('http', 'ws')}/user003/ws?clientId=b`, {
      authorization: auth('user003'),
    });
    let pings = 0;
    pinged.ws.on('ping', () => pings++);
    let pingedClosed = false;
    pinged.ws.on('close', () => (pingedClosed = true));
    // nginx ends the silent one after proxy_read_timeout (3 s) without traffic…
    await new Promise<number>((resolve) => silentWs.ws.once('close', (code) => resolve(code)));
    await new Promise((r) => setTimeout(r, 2000)); // …and by now the pinged one is past it too.
    expect(pingedClosed).toBe(false);
    expect(pinged.ws.readyState).toBe(WebSocket.OPEN);
    expect(pings).toBeGreaterThanOrEqual(3);
    pinged.ws.close();
  });
});
