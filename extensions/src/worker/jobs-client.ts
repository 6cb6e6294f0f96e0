/**
 * @fileoverview Page side of the job worker: starts the attendee's SharedWorker (a dedicated
 * Worker where SharedWorker is missing) and returns its Comlink handle.
 */
import * as Comlink from 'comlink';
import type { HubApi } from './jobs.worker';

export type JobHubHandle = { hub: Comlink.Remote<HubApi>; shared: boolean; close: () => void };

export function startJobWorker(): JobHubHandle {
  // Vite sees these `new URL(…, import.meta.url)` forms and emits the worker beside this module,
  // so the URL stays under /userNNN/extensions/comfyume/: one shared worker per attendee.
  if (typeof SharedWorker !== 'undefined') {
    const worker = new SharedWorker(new URL('./jobs.worker.ts', import.meta.url), {
      type: 'module',
      name: 'comfyume-jobs',
    });
    worker.port.start();
    return {
      hub: Comlink.wrap<HubApi>(worker.port),
      shared: true,
      close: () => worker.port.close(),
    };
  }
  const worker = new Worker(new URL('./jobs.worker.ts', import.meta.url), {
    type: 'module',
    name: 'comfyume-jobs',
  });
  return { hub: Comlink.wrap<HubApi>(worker), shared: false, close: () => worker.terminate() };
}

export { Comlink };
