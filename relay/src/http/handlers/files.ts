/** @fileoverview Input uploads (content-addressed, per user) and GET /api/view of the caller's own outputs. */
import { basename, extname } from 'node:path';
import { RelayError } from '../../errors';
import type { InputStore } from '../../inputs/input-store';
import type { OutputStore } from '../../outputs/output-store';
import type { Handler } from '../types';

/** What the file routes need: the caller's uploaded inputs and stored outputs. */
export type FileRoutesContext = {
  inputs: Pick<InputStore, 'put'>;
  outputs: Pick<OutputStore, 'resolve'>;
};

export const putInput: Handler<FileRoutesContext> = async (ctx, services) => {
  if (ctx.principal.kind !== 'user')
    throw new RelayError('forbidden', 'inputs are uploaded with a user token');
  if (!Buffer.isBuffer(ctx.body) || ctx.body.length === 0)
    throw new RelayError('bad_request', 'send the file bytes as the request body');
  await services.inputs.put(ctx.principal.userId, ctx.params.sha256 ?? '', ctx.body);
  return { status: 204 };
};

const MIME: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.apng': 'image/apng',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.mov': 'video/quicktime',
  '.mkv': 'video/x-matroska',
  '.mp3': 'audio/mpeg',
  '.wav': 'audio/wav',
  '.flac': 'audio/flac',
  '.ogg': 'audio/ogg',
  '.opus': 'audio/opus',
  '.m4a': 'audio/mp4',
  '.txt': 'text/plain; charset=utf-8',
  '.json': 'application/json',
  '.glb': 'model/gltf-binary',
  '.latent': 'application/octet-stream',
};

export const view: Handler<FileRoutesContext> = async (ctx, services) => {
  const userId = ctx.principal.kind === 'user' ? ctx.principal.userId : ctx.query.user;
  if (!userId)
    throw new RelayError(
      'bad_request',
      'the admin token must name the user whose output to read: &user=<id>',
    );
  const file = await services.outputs.resolve(userId, ctx.query);
  const name = basename(file);
  let type = MIME[extname(name).toLowerCase()] ?? 'application/octet-stream';
  // As ComfyUI /view: anything a browser could execute is served as an attachment.
  let disposition = `filename="${encodeURIComponent(name)}"`;
  if (/html|javascript|css|xml|svg/.test(type) || type === 'application/octet-stream') {
    type = 'application/octet-stream';
    disposition = `attachment; ${disposition}`;
  }
  return {
    status: 200,
    file,
    headers: {
      'Content-Type': type,
      'Content-Disposition': disposition,
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-cache',
    },
  };
};
