/**
 * @fileoverview Reads a request body for the routes the sidecar answers itself, with a size limit
 * (raw-body) and ComfyUI's parsing behaviour: any content type, JSON or aiohttp's 500 text.
 */
import type { IncomingMessage } from 'node:http';
import getRawBody from 'raw-body';
import { malformedJsonResponse } from '../../../protocol/src/comfy/validate';
import { promptErrorReply, type Reply } from './reply';

export type BodyResult = { ok: true; body: unknown; empty: boolean } | { ok: false; reply: Reply };

export async function readJsonBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  let raw: Buffer;
  try {
    raw = await getRawBody(req, { limit, length: req.headers['content-length'] });
  } catch (error) {
    const type = (error as { type?: string }).type;
    if (type === 'entity.too.large') {
      return {
        ok: false,
        reply: promptErrorReply(
          413,
          'body_too_large',
          `The request is larger than the sidecar accepts (${Math.round(limit / 1024 / 1024)} MiB).`,
          'SIDECAR_MAX_BODY_BYTES sets the limit.',
        ),
      };
    }
    return { ok: false, reply: crash() };
  }
  if (raw.length === 0) return { ok: true, body: undefined, empty: true };
  try {
    return { ok: true, body: JSON.parse(raw.toString('utf8')) as unknown, empty: false };
  } catch {
    return { ok: false, reply: crash() };
  }
}

function crash(): Reply {
  const r = malformedJsonResponse();
  return { status: r.status, raw: r.body, contentType: r.contentType };
}
