/**
 * @fileoverview The workshop page's server. The page (`page/`) is a minimal stand-in for the stock
 * ComfyUI frontend: `comfyume up` serves it to attendees when their ComfyUIs are simulated
 * (cli/src/stack/workshop-ui.ts, through buildHarnessWebRoot), and the e2e tests drive it as
 * their browser harness (startHarness). startHarness serves the page (built once per process with
 * Vite) at `/`, the `/scripts/app.js` and `/scripts/api.js` shims, and the built extension at
 * `/extensions/<name>/…`; it proxies everything else (API, `/ws`, `/view`) to the attendee's sidecar.
 *
 * Why the harness serves the extension itself: in production the attendee's ComfyUI serves the
 * custom node's WEB_DIRECTORY; the simulator standing in for it has no custom-node loading, so the
 * harness mounts `dist/comfyume-extension/web` the same way (and adds it to `GET /extensions`,
 * listing every `*.js` recursively like ComfyUI does).
 */
import { createServer, type Server } from 'node:http';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createProxyMiddleware } from 'http-proxy-middleware';
import { build } from 'vite';

const repoRoot = path.resolve(import.meta.dirname, '..');
export const defaultExtensionDir = path.join(repoRoot, 'dist/comfyume-extension/web');

export type HarnessOptions = {
  /** The attendee's sidecar (or any ComfyUI-speaking server), e.g. `http://127.0.0.1:8188`. */
  sidecarUrl: string;
  /** The extension's web directory; defaults to the Vite build output. `null` serves none. */
  extensionDir?: string | null;
  extensionName?: string;
};
export type Harness = { url: string; close: () => Promise<void> };

let pageBuild: Promise<string> | undefined;

const shim = (file: 'app' | 'api', names: string[]) =>
  names.map((n) => `export const ${n} = window.comfyAPI.${file}.${n};`).join('\n') + '\n';
/** The production frontend's shim modules (comfyui-protocol.md §5.2), served from the web root. */
const shims: Record<string, string> = {
  'scripts/app.js': shim('app', ['app', 'ComfyApp']),
  'scripts/api.js': shim('api', ['api', 'ComfyApi']),
};

/**
 * Builds the harness as a complete ComfyUI web root (index.html, assets/, scripts/app.js,
 * scripts/api.js) into `outDir`, so any server that serves a frontend package can serve it
 * (the simulator's `--web-root`, or startHarness below).
 */
export async function buildHarnessWebRoot(outDir: string): Promise<string> {
  await build({
    configFile: false,
    root: path.join(import.meta.dirname, 'page'),
    base: './',
    logLevel: 'warn',
    publicDir: false,
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      reportCompressedSize: false,
      chunkSizeWarningLimit: 2000,
      rolldownOptions: {
        // litegraph's number widget evaluates typed expressions with eval; not ours to fix.
        onLog: (level, log, handler) => (log.code === 'EVAL' ? undefined : handler(level, log)),
      },
    },
  });
  await mkdir(path.join(outDir, 'scripts'), { recursive: true });
  for (const [file, body] of Object.entries(shims)) await writeFile(path.join(outDir, file), body);
  return outDir;
}

/** Builds the harness web root once per process into a temp dir (removed at exit). */
export function buildHarnessPage(): Promise<string> {
  pageBuild ??= (async () => {
    const outDir = await mkdtemp(path.join(tmpdir(), 'comfyume-harness-'));
    process.once('exit', () => rmSync(outDir, { recursive: true, force: true }));
    return buildHarnessWebRoot(outDir);
  })();
  return pageBuild;
}

async function listJs(dir: string, base = ''): Promise<string[]> {
  const entries = await readdir(path.join(dir, base), { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const e of entries) {
    const rel = base ? `${base}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listJs(dir, rel)));
    else if (e.name.endsWith('.js')) out.push(rel);
  }
  return out.sort();
}

export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const pageDir = await buildHarnessPage();
  const extDir = options.extensionDir === undefined ? defaultExtensionDir : options.extensionDir;
  const extName = options.extensionName ?? 'comfyume';
  const target = options.sidecarUrl.replace(/\/$/, '');
  const app = express();
  const noStore = (res: express.Response) => res.setHeader('Cache-Control', 'no-store');

  app.get(['/', '/index.html'], (_req, res) => {
    noStore(res);
    res.sendFile(path.join(pageDir, 'index.html'));
  });
  app.use('/assets', express.static(path.join(pageDir, 'assets')));
  app.use(
    '/scripts',
    (_req, res, next) => {
      noStore(res);
      next();
    },
    express.static(path.join(pageDir, 'scripts')),
  );
  if (extDir) {
    app.use(
      `/extensions/${extName}`,
      (_req, res, next) => {
        noStore(res);
        next();
      },
      express.static(extDir),
    );
    app.get(['/extensions', '/api/extensions'], async (req, res) => {
      const upstream = await fetch(`${target}${req.originalUrl}`, {
        headers: { 'Comfy-User': req.get('Comfy-User') ?? '' },
      })
        .then((r) => (r.ok ? (r.json() as Promise<string[]>) : []))
        .catch(() => [] as string[]);
      const ours = (await listJs(extDir)).map(
        (f) => `/extensions/${encodeURIComponent(extName)}/${f}`,
      );
      res.json([...upstream.filter((p) => !p.startsWith(`/extensions/${extName}/`)), ...ours]);
    });
  }
  const proxy = createProxyMiddleware({ target, ws: true, changeOrigin: false, xfwd: false });
  app.use(proxy);

  const server: Server = createServer(app);
  server.on('upgrade', (req, socket, head) => proxy.upgrade(req, socket as never, head));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
