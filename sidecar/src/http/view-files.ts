/**
 * @fileoverview `GET /view` of a plain file in the attendee's own folders, answered from disk with
 * the bytes and headers ComfyUI's `view_image` sends (comfyui-protocol.md §4.4: Content-Type,
 * `Content-Disposition: filename="…"`, nosniff, Last-Modified, single byte ranges, 304 on
 * If-Modified-Since, no cache header). They are the local ComfyUI's folders, so it would serve the
 * very same bytes; the sidecar skips a hop. Anything else (re-encoding `preview`/`channel`,
 * `blake3:` assets, a refused or missing name, a type not in the table, several ranges) is left
 * to the local ComfyUI through the proxy, so its own answers and errors stay its own.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { basename, extname, join, resolve, sep } from 'node:path';

export type ViewFiles = {
  /** True when it answered; false leaves the request untouched for the proxy. */
  serve(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
};

/** Media types ComfyUI's `mimetypes.guess_type` gives alike everywhere; others go to ComfyUI. */
const TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
};

/** The file a plain `/view` query names, or undefined when ComfyUI should answer it. */
export function viewedFile(
  query: URLSearchParams,
  dirs: { output: string; temp: string; input: string },
): string | undefined {
  let filename = query.get('filename');
  if (filename === null || filename.startsWith('blake3:')) return undefined;
  if (query.has('preview') || query.has('channel')) return undefined;
  let type = query.get('type') ?? 'output';
  const annotation = / \[(input|output|temp)\]$/.exec(filename);
  if (annotation) {
    type = annotation[1]!;
    filename = filename.slice(0, annotation.index);
  }
  if (filename === '' || filename.startsWith('/') || filename.includes('..')) return undefined;
  if (type !== 'output' && type !== 'temp' && type !== 'input') return undefined;
  let base = resolve(dirs[type]);
  const subfolder = query.get('subfolder');
  if (subfolder !== null) {
    const full = resolve(base, subfolder);
    if (full !== base && !full.startsWith(base + sep)) return undefined;
    base = full;
  }
  const name = basename(filename);
  if (!TYPES[extname(name).toLowerCase()]) return undefined;
  return join(base, name);
}

/** One `bytes=a-b` range within `size`; 'unsatisfiable', or undefined for none or several. */
function byteRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | 'several' | undefined {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return header.includes(',') ? 'several' : undefined;
  const [, from = '', to = ''] = match;
  if (from === '' && to === '') return undefined;
  let start: number;
  let end: number;
  if (from === '') {
    start = Math.max(0, size - Number(to));
    end = size - 1;
  } else {
    start = Number(from);
    end = to === '' ? size - 1 : Math.min(Number(to), size - 1);
  }
  return start > end || start >= size ? 'unsatisfiable' : { start, end };
}

export function createViewFiles(dirs: { output: string; temp: string; input: string }): ViewFiles {
  return {
    async serve(req, res) {
      const url = new URL(req.url ?? '/', 'http://sidecar');
      const path = viewedFile(url.searchParams, dirs);
      if (!path) return false;
      const info = await stat(path).catch(() => undefined);
      if (!info?.isFile()) return false;
      const range = byteRange(req.headers.range, info.size);
      if (range === 'several') return false;
      const name = basename(path);
      const modified = new Date(Math.floor(info.mtimeMs / 1000) * 1000);
      const headers: Record<string, string | number> = {
        'Content-Type': TYPES[extname(name).toLowerCase()]!,
        'Content-Disposition': `filename="${encodeURIComponent(name)}"`,
        'X-Content-Type-Options': 'nosniff',
        'Last-Modified': modified.toUTCString(),
        'Accept-Ranges': 'bytes',
      };
      const since = Date.parse(req.headers['if-modified-since'] ?? '');
      if (!range && Number.isFinite(since) && modified.getTime() <= since) {
        res.writeHead(304, headers);
        res.end();
        return true;
      }
      if (range === 'unsatisfiable') {
        res.writeHead(416, { 'Content-Range': `bytes */${info.size}`, 'Content-Length': 0 });
        res.end();
        return true;
      }
      const { start, end } = range ?? { start: 0, end: info.size - 1 };
      headers['Content-Length'] = info.size === 0 ? 0 : end - start + 1;
      if (range) headers['Content-Range'] = `bytes ${start}-${end}/${info.size}`;
      res.writeHead(range ? 206 : 200, headers);
      if (req.method === 'HEAD' || info.size === 0) {
        res.end();
        return true;
      }
      const file = createReadStream(path, { start, end, highWaterMark: 256 * 1024 });
      file.on('error', () => res.destroy());
      res.on('close', () => file.destroy());
      file.pipe(res);
      return true;
    },
  };
}
