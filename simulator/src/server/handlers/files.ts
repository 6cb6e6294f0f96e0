/**
 * @fileoverview /view (ComfyUI §4.4 checks, Range via `send`), /upload/image and /upload/mask (§4.5 naming:
 * `name (1).ext` unless overwrite, identical files reused), /internal/files/{type}.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import sendFile from 'send';
import type { ReplicaContext } from '../../context';
import { abspath, basename, commonpath, join, normpath } from '../../../../kit/py-path';
import { type Ctx } from '../http-kit';
import { json, type Reply } from '../../../../kit/aiohttp-reply';

const TYPES = ['output', 'input', 'temp'] as const;
type FileType = (typeof TYPES)[number];

const text = (status: number, body: string): Reply => ({
  status,
  text: body,
  contentType: 'text/plain; charset=utf-8',
});
const DANGEROUS =
  /^(text\/html|application\/(x-)?javascript|text\/javascript|text\/css|image\/svg\+xml|application\/xhtml\+xml|.*\/xml|.*\+xml)/;

function dirOf(ctx: ReplicaContext, type: string): string | undefined {
  return (TYPES as readonly string[]).includes(type) ? ctx.dirs[type as FileType] : undefined;
}

export async function view(ctx: ReplicaContext, http: Ctx): Promise<Reply> {
  const q = http.url.searchParams;
  let filename = q.get('filename');
  if (filename === null) return text(404, '404: Not Found');
  let type = q.get('type') ?? 'output';
  const annotation = / \[(input|output|temp)\]$/.exec(filename);
  if (annotation) {
    type = annotation[1] as string;
    filename = filename.slice(0, annotation.index);
  }
  if (filename === '' || filename.startsWith('/') || filename.includes('..'))
    return text(400, '400: Bad Request');
  let base = dirOf(ctx, type);
  if (!base) return text(400, '400: Bad Request');
  const subfolder = q.get('subfolder');
  if (subfolder !== null) {
    const full = abspath(join(base, subfolder));
    if (commonpath([full, base]) !== base) return text(403, '403: Forbidden');
    base = full;
  }
  const path = join(base, basename(filename));
  if (!existsSync(path) || !statSync(path).isFile()) return text(404, '404: Not Found');
  const name = basename(filename);
  await new Promise<void>((resolve, reject) => {
    const stream = sendFile(http.req, path, {
      dotfiles: 'allow',
      etag: false,
      lastModified: true,
      cacheControl: false,
    });
    stream.on('headers', (res) => {
      const contentType = String(res.getHeader('Content-Type') ?? 'application/octet-stream');
      res.setHeader('X-Content-Type-Options', 'nosniff');
      if (DANGEROUS.test(contentType)) {
        res.setHeader('Content-Type', 'application/octet-stream');
        res.setHeader('Content-Disposition', `attachment; filename="${encodeURIComponent(name)}"`);
      } else res.setHeader('Content-Disposition', `filename="${encodeURIComponent(name)}"`);
    });
    stream.on('error', reject);
    stream.on('end', () => resolve());
    http.res.on('close', () => resolve());
    stream.pipe(http.res);
  });
  return { handled: true };
}

/** image_upload: multipart `image`, `type`, `subfolder`, `overwrite`. */
export async function uploadImage(ctx: ReplicaContext, http: Ctx): Promise<Reply> {
  const request = new Request('http://x/', {
    method: 'POST',
    headers: http.req.headers as Record<string, string>,
    body: new Uint8Array(await http.body()),
  });
  let form: FormData;
  try {
    form = await request.formData();
  } catch {
    return text(400, '400: Bad Request');
  }
  const image = form.get('image');
  if (!image || typeof image === 'string') return text(400, '400: Bad Request');
  const type = String(form.get('type') ?? 'input') || 'input';
  const base = dirOf(ctx, type);
  if (!base)
    return {
      status: 500,
      text: '500 Internal Server Error\n\nServer got itself in trouble',
      contentType: 'text/plain; charset=utf-8',
    };
  const overwrite = ['true', '1'].includes(String(form.get('overwrite') ?? '').toLowerCase());
  const subfolder = String(form.get('subfolder') ?? '');
  const fullFolder = join(base, normpath(subfolder));
  if (commonpath([abspath(fullFolder), base]) !== base) return text(400, '400: Bad Request');
  let name = basename((image as File).name);
  if (!name) return text(400, '400: Bad Request');
  mkdirSync(fullFolder, { recursive: true });
  const bytes = Buffer.from(await (image as File).arrayBuffer());
  let target = join(fullFolder, name);
  let reuse = false;
  if (!overwrite) {
    const dot = name.lastIndexOf('.');
    const stem = dot > 0 ? name.slice(0, dot) : name;
    const ext = dot > 0 ? name.slice(dot) : '';
    let i = 1;
    while (existsSync(target)) {
      if (sameContent(target, bytes)) {
        reuse = true;
        break;
      }
      name = `${stem} (${i})${ext}`;
      target = join(fullFolder, name);
      i++;
    }
  }
  if (!reuse) writeFileSync(target, bytes);
  return json({ name, subfolder, type });
}

function sameContent(path: string, bytes: Buffer): boolean {
  const hash = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  return hash(readFileSync(path)) === hash(bytes);
}

/** `["name.png [input]", ...]`, newest first, top level only, no hidden files. */
export function internalFiles(ctx: ReplicaContext, http: Ctx): Reply {
  const base = dirOf(ctx, http.params.type ?? '');
  if (!base) return text(400, '400: Bad Request');
  let names: string[] = [];
  try {
    names = readdirSync(base).filter((n) => !n.startsWith('.') && statSync(join(base, n)).isFile());
  } catch {
    names = [];
  }
  names.sort((a, b) => statSync(join(base, b)).mtimeMs - statSync(join(base, a)).mtimeMs);
  return json(names.map((n) => `${n} [${http.params.type}]`));
}
