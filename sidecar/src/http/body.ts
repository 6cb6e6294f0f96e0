/**
 * @fileoverview Reads a request body for the routes the sidecar answers itself: any content type
 * (as ComfyUI), with a size limit (raw-body) and a nesting limit checked before JSON.parse. Every
 * refusal is a 4xx in ComfyUI's prompt-error shape, which the stock frontend shows in its dialog
 * (ComfyUI itself answers a body that is not JSON with aiohttp's 500 text, which it cannot show).
 */
import type { IncomingMessage } from 'node:http';
import getRawBody from 'raw-body';
import { MAX_JSON_DEPTH, nestsDeeperThan, tooDeepMessage } from '../../../protocol/src/json-depth';
import { promptErrorReply } from './reply';
import { type Reply } from '../../../kit/aiohttp-reply';

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
    return {
      ok: false,
      reply: promptErrorReply(
        400,
        'invalid_body',
        'The request body could not be read (the client stopped sending it).',
      ),
    };
  }
  if (raw.length === 0) return { ok: true, body: undefined, empty: true };
  if (nestsDeeperThan(raw, MAX_JSON_DEPTH)) {
    return {
      ok: false,
      reply: promptErrorReply(
        400,
        'too_deep',
        tooDeepMessage(MAX_JSON_DEPTH),
        `The limit is ${MAX_JSON_DEPTH} levels of nesting.`,
      ),
    };
  }
  try {
    return { ok: true, body: JSON.parse(raw.toString('utf8')) as unknown, empty: false };
  } catch (error) {
    return {
      ok: false,
      reply: promptErrorReply(
        400,
        'invalid_json',
        `The request body is not valid JSON: ${(error as Error).message}.`,
        'Send the prompt as a JSON object.',
      ),
    };
  }
}
