/** The simulator's static routes: web root at `/`, custom-node web dirs at /extensions/<name>/, listed like ComfyUI. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../app';

let dir: string;
let sim: RunningSimulator;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sim-static-'));
  mkdirSync(`${dir}/web`, { recursive: true });
  mkdirSync(`${dir}/ext/sub`, { recursive: true });
  writeFileSync(`${dir}/web/index.html`, '<!doctype html><title>ui</title>');
  writeFileSync(`${dir}/web/app.js`, 'export {};');
  writeFileSync(`${dir}/ext/main.js`, 'export {};');
  writeFileSync(`${dir}/ext/sub/more.js`, 'export {};');
  writeFileSync(`${dir}/ext/worker.mjs`, 'export {};');
  writeFileSync(`${dir}/secret.txt`, 'not served');
  sim = await startSimulator({
    outputDir: `${dir}/o`,
    inputDir: `${dir}/i`,
    tempDir: `${dir}/t`,
    web: { webRoot: `${dir}/web`, extensionDirs: { comfyume: `${dir}/ext` } },
  });
});
afterAll(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

it('serves index.html at / with no-store, and other web-root files', async () => {
  const index = await fetch(`${sim.url}/`);
  expect(index.status).toBe(200);
  expect(index.headers.get('cache-control')).toBe('no-store');
  expect(await index.text()).toContain('<title>ui</title>');
  const script = await fetch(`${sim.url}/app.js`);
  expect(script.headers.get('content-type')).toMatch(/javascript/);
});

it('lists every .js of the extension dirs (recursively, not .mjs) and serves them', async () => {
  const list = (await (await fetch(`${sim.url}/api/extensions`)).json()) as string[];
  expect(list.sort()).toEqual(['/extensions/comfyume/main.js', '/extensions/comfyume/sub/more.js']);
  expect((await fetch(`${sim.url}/extensions/comfyume/worker.mjs`)).status).toBe(200);
  expect((await fetch(`${sim.url}/extensions/other/main.js`)).status).toBe(404);
});

it('refuses paths that leave the served folders', async () => {
  for (const escape of [
    '/..%2Fsecret.txt',
    '/extensions/comfyume/..%2F..%2Fsecret.txt',
    '/%2e%2e/secret.txt',
  ]) {
    const response = await fetch(`${sim.url}${escape}`);
    expect(response.status, escape).toBe(404);
  }
});

it('still answers unknown API paths and non-GET methods like ComfyUI', async () => {
  expect((await fetch(`${sim.url}/nope`)).status).toBe(404);
  expect((await fetch(`${sim.url}/`, { method: 'POST' })).status).toBe(404);
});
