/**
 * @fileoverview Worker entry: one JobHub for every tab of the attendee, exposed over Comlink.
 * As a SharedWorker each connecting tab gets its own port; as a dedicated Worker (browsers
 * without SharedWorker) there is one tab. Emitted as `.mjs` so ComfyUI does not import it as an
 * extension (it imports every `*.js` in WEB_DIRECTORY).
 */
import * as Comlink from 'comlink';
import { createStore, get, set } from 'idb-keyval';
import { JobHub, type JobStorage } from './job-hub';
import type { TrackedJob } from '../state/jobs-state';

const store = createStore('comfyume', 'jobs');
const storage: JobStorage = {
  load: (key) => get<TrackedJob[]>(key, store),
  save: (key, jobs) => set(key, jobs, store),
};

const hub = new JobHub({ fetch: (url, init) => fetch(url, init), storage });

/** The worker's API as tabs see it (methods only: Comlink proxies them). */
export const hubApi = {
  configure: hub.configure.bind(hub),
  attach: hub.attach.bind(hub),
  detach: hub.detach.bind(hub),
  setSocket: hub.setSocket.bind(hub),
  dispatch: hub.dispatch.bind(hub),
  poll: hub.poll.bind(hub),
  getState: hub.getState.bind(hub),
  pollError: hub.pollError.bind(hub),
  /** How many tabs share this worker: lets tests (and the tracker footer) see the sharing. */
  tabCount: (): number => hub.tabCount(),
};
export type HubApi = typeof hubApi;

const scope = self as unknown as { onconnect?: unknown };
if ('onconnect' in scope) {
  scope.onconnect = (event: MessageEvent) => {
    const port = event.ports[0];
    if (port) Comlink.expose(hubApi, port);
  };
} else {
  Comlink.expose(hubApi);
}
