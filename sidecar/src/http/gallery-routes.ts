/**
 * @fileoverview `GET/PUT /api/comfyume/gallery/opt-out`: the attendee's job tracker reads and sets
 * whether their outputs may appear on the gallery wall. The sidecar holds the user token, so the
 * flag it sets at the relay is always this attendee's own.
 */
import type { IncomingMessage } from 'node:http';
import { GalleryOptOut } from '../../../protocol/src/relay/gallery';
import { json, type Reply } from '../../../kit/aiohttp-reply';
import type { RelayClient } from '../relay/relay-client';
import { readJsonBody } from './body';
import { errorReply } from './reply';

export const GALLERY_OPT_OUT_PATH = '/api/comfyume/gallery/opt-out';

export function createGalleryRoutes(relay: Pick<RelayClient, 'galleryOptOut'>) {
  return {
    async get(): Promise<Reply> {
      try {
        return json({ optOut: await relay.galleryOptOut() });
      } catch (error) {
        return errorReply(error);
      }
    },
    async put(req: IncomingMessage): Promise<Reply> {
      const read = await readJsonBody(req, 4096);
      if (!read.ok) return read.reply;
      const body = GalleryOptOut.safeParse(read.body);
      if (!body.success)
        return json(
          { error: { code: 'bad_request', message: 'send {"optOut": true} or {"optOut": false}' } },
          400,
        );
      try {
        return json({ optOut: await relay.galleryOptOut(body.data.optOut) });
      } catch (error) {
        return errorReply(error);
      }
    },
  };
}
