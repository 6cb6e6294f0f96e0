/**
 * @fileoverview The attendee's gallery opt-out, through their sidecar
 * (`/api/comfyume/gallery/opt-out`, which the sidecar forwards with the attendee's own relay
 * token). Undefined when this server has no such route (a plain ComfyUI): the toggle stays hidden.
 */
import type { ApiLike } from './job-actions';

const ROUTE = '/comfyume/gallery/opt-out';

async function answer(res: Response): Promise<boolean | undefined> {
  if (!res.ok) return undefined;
  const body = (await res.json().catch(() => undefined)) as { optOut?: unknown } | undefined;
  return typeof body?.optOut === 'boolean' ? body.optOut : undefined;
}

export async function readGalleryOptOut(api: ApiLike): Promise<boolean | undefined> {
  return answer(await api.fetchApi(ROUTE).catch(() => new Response(null, { status: 599 })));
}

/** Sets it; resolves with what the relay now holds (undefined when the call failed). */
export async function setGalleryOptOut(
  api: ApiLike,
  optOut: boolean,
): Promise<boolean | undefined> {
  const res = await api
    .fetchApi(ROUTE, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ optOut }),
    })
    .catch(() => new Response(null, { status: 599 }));
  return answer(res);
}
