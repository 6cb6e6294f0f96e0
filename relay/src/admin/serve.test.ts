/** @fileoverview createAdminStatic over a real HTTP server: paths, cache headers, page fallback, 404/405/503, traversal, express mount. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type RequestListener, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminStatic } from './serve';

let dir: string;
let servers: Server[] = [];

async function listen(handler: RequestListener): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

/** The dashboard in front of a stand-in API, as relay/src/app.ts wires it. */
async function relayLike(distDir: string): Promise<string> {
  const admin = createAdminStatic(distDir);
  return listen((req, res) =>
    admin(req, res, () => res.writeHead(418, { 'content-type': 'text/plain' }).end('api')),
  );
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'comfyume-admin-static-'));
  await mkdir(join(dir, 'dist/assets'), { recursive: true });
  await writeFile(
    join(dir, 'dist/index.html'),
    '<!doctype html><title>dash</title><script type="module" src="./assets/index-abc123.js"></script>',
  );
  await writeFile(join(dir, 'dist/assets/index-abc123.js'), 'console.log(1)');
  await writeFile(join(dir, 'secret.txt'), 'outside');
});

afterAll(async () => {
  for (const server of servers) await new Promise<void>((r) => server.close(() => r()));
  servers = [];
  await rm(dir, { recursive: true, force: true });
});

describe('createAdminStatic', () => {
  it('serves the page uncached and hashed assets for a year', async () => {
    const url = await relayLike(join(dir, 'dist'));
    const page = await fetch(`${url}/admin/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(await page.text()).toContain('<title>dash</title>');
    const asset = await fetch(`${url}/admin/assets/index-abc123.js?v=1`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await asset.text()).toBe('console.log(1)');
    const head = await fetch(`${url}/admin/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('redirects /admin relatively, falls back to the page for views, 404s missing files, 405s writes', async () => {
    const url = await relayLike(join(dir, 'dist'));
    const bare = await fetch(`${url}/admin?x=1`, { redirect: 'manual' });
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toBe('admin/?x=1');
    const view = await fetch(`${url}/admin/users/user001`);
    expect(view.status).toBe(200);
    expect(await view.text()).toContain('<title>dash</title>');
    expect((await fetch(`${url}/admin/assets/missing-1.js`)).status).toBe(404);
    expect((await fetch(`${url}/admin/`, { method: 'POST' })).status).toBe(405);
  });

  it('leaves every other path to the next handler and never serves outside the dist folder', async () => {
    const url = await relayLike(join(dir, 'dist'));
    for (const path of ['/api/jobs', '/administrator', '/', '/metrics'])
      expect((await fetch(`${url}${path}`)).status, path).toBe(418);
    for (const path of [
      '/admin/../secret.txt',
      '/admin/%2e%2e/secret.txt',
      '/admin/..%2fsecret.txt',
    ]) {
      const res = await fetch(`${url}${path}`);
      expect(await res.text(), path).not.toBe('outside');
    }
  });

  it('answers 503 with the build command when the dashboard was never built', async () => {
    const url = await relayLike(join(dir, 'nowhere'));
    const res = await fetch(`${url}/admin/`);
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('vite build --config admin-ui/vite.config.ts');
  });

  it('works mounted by express at /admin', async () => {
    const app = express();
    app.use('/admin', createAdminStatic(join(dir, 'dist')));
    app.use((_req, res) => void res.status(418).send('api'));
    const url = await listen(app);
    expect((await fetch(`${url}/admin/`)).status).toBe(200);
    expect(
      (await fetch(`${url}/admin/assets/index-abc123.js`)).headers.get('cache-control'),
    ).toContain('immutable');
    expect((await fetch(`${url}/admin`, { redirect: 'manual' })).status).toBe(301);
    expect((await fetch(`${url}/elsewhere`)).status).toBe(418);
  });
});
