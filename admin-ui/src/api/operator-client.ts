/**
 * @fileoverview The dashboard's client for the operator's workshop routes: the gallery wall
 * (protocol/src/relay/gallery.ts: items, their images as blobs, hide) and the warm-up schedule
 * (protocol/src/relay/prewarm.ts: status, Warm now). Answers parsed with the protocol schemas.
 */
import { GalleryList } from '../../../protocol/src/relay/gallery';
import { PrewarmStatus } from '../../../protocol/src/relay/prewarm';
import { createRelayCall } from './relay-call';

export type OperatorClient = {
  gallery(options?: { limit?: number; hidden?: boolean }): Promise<GalleryList>;
  /** The item's image, fetched with the token (an <img> cannot send it): a blob for an object URL. */
  image(id: string): Promise<Blob>;
  hide(id: string, hidden: boolean): Promise<void>;
  prewarm(): Promise<PrewarmStatus>;
  warmNow(): Promise<PrewarmStatus>;
};

export function createOperatorClient(
  baseUrl: string,
  token: string,
  fetchImpl: typeof fetch = (...a) => fetch(...a),
): OperatorClient {
  const call = createRelayCall(baseUrl, token, fetchImpl);
  const json = async (method: string, path: string, body?: unknown) =>
    (await call(method, path, body)).json() as Promise<unknown>;
  return {
    gallery: async ({ limit = 48, hidden = false } = {}) =>
      GalleryList.parse(
        await json('GET', `api/admin/gallery?limit=${limit}${hidden ? '&hidden=1' : ''}`),
      ),
    image: async (id) =>
      (await call('GET', `api/admin/gallery/image/${encodeURIComponent(id)}`)).blob(),
    hide: async (id, hidden) => void (await json('POST', 'api/admin/gallery/hide', { id, hidden })),
    prewarm: async () => PrewarmStatus.parse(await json('GET', 'api/admin/prewarm')),
    warmNow: async () => PrewarmStatus.parse(await json('POST', 'api/admin/prewarm/warm-now')),
  };
}
