/**
 * @fileoverview The gallery wall's routes (protocol/src/relay/gallery.ts): the operator's listing,
 * images and hide (admin token; an attendee's token gets 403), and the attendee's own opt-out (user
 * token; the flag is always the caller's own).
 */
import { extname } from 'node:path';
import {
  GalleryHideRequest,
  GalleryListQuery,
  GalleryOptOut,
} from '../../../../protocol/src/relay/gallery';
import { RelayError } from '../../errors';
import type { Gallery } from '../../gallery/gallery';
import type { Handler, HandlerContext } from '../types';
import { parse } from './jobs';
import { operatorOnly } from './prewarm';

export type GalleryRoutesContext = {
  gallery: Pick<Gallery, 'list' | 'setHidden' | 'imageFile' | 'optOut' | 'setOptOut'>;
};

const IMAGE_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.apng': 'image/apng',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
};

export const galleryList: Handler<GalleryRoutesContext> = async (ctx, services) => {
  operatorOnly(ctx, 'the gallery wall');
  const query = parse(GalleryListQuery, ctx.query, 'gallery query');
  return {
    status: 200,
    body: await services.gallery.list({ limit: query.limit, includeHidden: query.hidden }),
  };
};

export const galleryImage: Handler<GalleryRoutesContext> = async (ctx, services) => {
  operatorOnly(ctx, 'the gallery wall');
  const file = await services.gallery.imageFile(ctx.params.id ?? '');
  return {
    status: 200,
    file,
    headers: {
      'Content-Type': IMAGE_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'private, max-age=3600', // a stored file never changes under its name
    },
  };
};

export const galleryHide: Handler<GalleryRoutesContext> = async (ctx, services) => {
  operatorOnly(ctx, 'Hiding a gallery item');
  const request = parse(GalleryHideRequest, ctx.body, 'hide request');
  return { status: 200, body: await services.gallery.setHidden(request.id, request.hidden) };
};

function attendee(ctx: HandlerContext): string {
  if (ctx.principal.kind !== 'user')
    throw new RelayError(
      'forbidden',
      "the gallery opt-out is each attendee's own choice: send that attendee's token",
    );
  return ctx.principal.userId;
}

export const getOptOut: Handler<GalleryRoutesContext> = async (ctx, services) => ({
  status: 200,
  body: { optOut: await services.gallery.optOut(attendee(ctx)) },
});

export const putOptOut: Handler<GalleryRoutesContext> = async (ctx, services) => {
  const userId = attendee(ctx);
  const { optOut } = parse(GalleryOptOut, ctx.body, 'opt-out');
  await services.gallery.setOptOut(userId, optOut);
  return { status: 200, body: { optOut } };
};
