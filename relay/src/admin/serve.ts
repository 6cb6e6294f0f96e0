/**
 * @fileoverview Serves the built dashboard (`dist/admin/`) under `/admin/`: hashed assets cached
 * for a year, the page itself revalidated every time (so a rebuilt relay is picked up at once),
 * any other extension-less path answered with the page (client-side views), and a clear 503 when
 * the dashboard was never built. Works as a plain `(req, res, next)` in front of any handler, or
 * mounted by express at `/admin`.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import express from 'express';

export type AdminStatic = (
  req: IncomingMessage,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => void;

export const ADMIN_PATH = '/admin';

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

/** The page only talks to its own origin; Lit may fall back to <style> elements, hence 'unsafe-inline' for styles. */
const PAGE_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

function setHeaders(res: ServerResponse, file: string): void {
  res.setHeader('cache-control', /[\\/]assets[\\/]/.test(file) ? IMMUTABLE : REVALIDATE);
  res.setHeader('x-content-type-options', 'nosniff');
}

export function createAdminStatic(distDir: string): AdminStatic {
  const files = express.static(distDir, {
    index: false,
    redirect: false,
    fallthrough: true,
    dotfiles: 'ignore',
    setHeaders,
  });
  const indexFile = join(distDir, 'index.html');

  async function sendPage(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let html: Buffer;
    try {
      html = await readFile(indexFile);
    } catch {
      res.writeHead(503, {
        'content-type': 'text/plain; charset=utf-8',
        'cache-control': 'no-store',
      });
      res.end(
        `The admin dashboard is not built (no ${indexFile}). Build it with: npx vite build --config admin-ui/vite.config.ts\n`,
      );
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': html.length,
      'cache-control': REVALIDATE,
      ...PAGE_HEADERS,
    });
    res.end(req.method === 'HEAD' ? undefined : html);
  }

  return (req, res, next) => {
    const original = req.url ?? '/';
    const q = original.indexOf('?');
    const pathname = q === -1 ? original : original.slice(0, q);
    // Mounted by express at /admin: req.url is already relative to the mount.
    const mounted = (req as { baseUrl?: string }).baseUrl === ADMIN_PATH;
    const fullPath = mounted
      ? ((req as { originalUrl?: string }).originalUrl ?? original).split('?')[0]
      : pathname;
    let relative: string;
    if (fullPath === ADMIN_PATH) {
      // Relative Location keeps a reverse proxy's path prefix (…/admin → …/admin/).
      res.writeHead(301, { location: `admin/${q === -1 ? '' : original.slice(q)}` }).end();
      return;
    } else if (mounted) relative = original;
    else if (pathname.startsWith(`${ADMIN_PATH}/`)) relative = original.slice(ADMIN_PATH.length);
    else {
      next();
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res
        .writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' })
        .end('the dashboard is read-only; its actions go to /api\n');
      return;
    }
    const relPath = relative.split('?')[0] ?? '/';
    if (relPath === '/' || relPath === '/index.html') {
      void sendPage(req, res);
      return;
    }
    req.url = relative;
    files(req as express.Request, res as express.Response, (error?: unknown) => {
      req.url = original;
      if (error) return next(error);
      // A missing asset is a 404 (serving the page as JavaScript would only confuse the browser).
      if (/\.[A-Za-z0-9]+$/.test(relPath)) {
        res
          .writeHead(404, { 'content-type': 'text/plain', 'cache-control': 'no-store' })
          .end(`no such dashboard file: ${relPath}\n`);
        return;
      }
      void sendPage(req, res);
    });
  };
}
