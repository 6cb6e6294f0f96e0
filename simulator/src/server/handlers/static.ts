/**
 * @fileoverview What ComfyUI serves besides its API: the frontend's web root at `/` (`web.static`,
 * index.html with no-store) and every custom node's WEB_DIRECTORY at `/extensions/<name>/…`, whose
 * `*.js` files `GET /extensions` lists recursively. The simulator serves them only when given a web
 * root or extension folders (`comfyume up` mounts the workshop page and our built custom node).
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import sendFile from 'send';
import { type Ctx } from '../http-kit';
import { json, type Reply } from '../../../../kit/aiohttp-reply';

export type WebOptions = {
  /** Served at `/` like ComfyUI's frontend package (index.html at `/`). */
  webRoot?: string;
  /** Custom node name → its web directory, served at `/extensions/<name>/`. */
  extensionDirs?: Readonly<Record<string, string>>;
};

/** `GET /extensions`: every `*.js` below each extension directory, as ComfyUI lists them. */
export function listExtensionScripts(web: WebOptions): Reply {
  const scripts: string[] = [];
  for (const [name, dir] of Object.entries(web.extensionDirs ?? {})) {
    for (const file of walk(dir)) {
      if (!file.endsWith('.js')) continue;
      const rel = path.relative(dir, file).split(path.sep).map(encodeURIComponent).join('/');
      scripts.push(`/extensions/${encodeURIComponent(name)}/${rel}`);
    }
  }
  return json(scripts);
}

function walk(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? walk(full) : entry.isFile() ? [full] : [];
  });
}

/** Resolves a request path to a file under `root`, refusing anything that would leave it. */
function confined(root: string, relative: string): string | undefined {
  const resolvedRoot = path.resolve(root);
  const full = path.resolve(resolvedRoot, '.' + path.posix.normalize('/' + relative));
  if (full !== resolvedRoot && !full.startsWith(resolvedRoot + path.sep)) return undefined;
  try {
    return statSync(full).isFile() ? full : undefined;
  } catch {
    return undefined;
  }
}

function locate(web: WebOptions, pathname: string): string | undefined {
  const extension = /^\/extensions\/([^/]+)\/(.+)$/.exec(pathname);
  if (extension) {
    const dir = web.extensionDirs?.[decodeURIComponent(extension[1] as string)];
    return dir ? confined(dir, decodeURIComponent(extension[2] as string)) : undefined;
  }
  if (!web.webRoot) return undefined;
  return confined(web.webRoot, pathname === '/' ? 'index.html' : decodeURIComponent(pathname));
}

/** ComfyUI's cache_control middleware: no-store on js/css/index*.json and on `/`, a day for images. */
function cacheControl(file: string): string | undefined {
  const base = path.basename(file);
  if (/\.(js|mjs|css)$/.test(base) || /^index.*\.json$/.test(base) || base === 'index.html')
    return 'no-store';
  if (/\.(png|jpe?g|webp|gif|svg|ico)$/.test(base)) return 'public, max-age=86400';
  return undefined;
}

/** Serves a static file for GET/HEAD, or answers undefined when nothing is there (the caller 404s). */
export async function serveStatic(web: WebOptions, http: Ctx): Promise<Reply | undefined> {
  const file = locate(web, http.url.pathname);
  if (!file) return undefined;
  await new Promise<void>((resolve, reject) => {
    const stream = sendFile(http.req, file, { etag: false, cacheControl: false, index: false });
    stream.on('headers', (res) => {
      const cache = cacheControl(file);
      if (cache) res.setHeader('Cache-Control', cache);
    });
    stream.on('error', reject);
    stream.on('end', () => resolve());
    http.res.on('close', () => resolve());
    stream.pipe(http.res);
  });
  return { handled: true };
}
