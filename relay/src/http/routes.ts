/** @fileoverview The relay's route table (paths kept from the original system; see protocol/src/relay/api.ts). */
import {
  cancelJob,
  getJob,
  listJobs,
  setPriority,
  submitJob,
  type JobRoutesContext,
} from './handlers/jobs';
import { putInput, view, type FileRoutesContext } from './handlers/files';
import {
  gpuListing,
  objectInfo,
  queueStatus,
  type ObjectInfoContext,
  type QueueStatusContext,
} from './handlers/status';
import { prewarmStatus, warmNow, type PrewarmRoutesContext } from './handlers/prewarm';
import {
  galleryHide,
  galleryImage,
  galleryList,
  getOptOut,
  putOptOut,
  type GalleryRoutesContext,
} from './handlers/gallery';
import {
  broadcast,
  listWorkflows,
  publishWorkflow,
  readWorkflow,
  type WorkshopContext,
} from './handlers/workshop';
import type { Handler } from './types';

/** What the routes need together: each handler module's own context. */
export type RoutesContext = JobRoutesContext &
  FileRoutesContext &
  QueueStatusContext &
  ObjectInfoContext &
  PrewarmRoutesContext &
  GalleryRoutesContext &
  WorkshopContext;

export type Route = {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  body: 'json' | 'raw' | 'none';
  handler: Handler<RoutesContext>;
};

export const routes: Route[] = [
  { method: 'post', path: '/api/jobs', body: 'json', handler: submitJob },
  { method: 'get', path: '/api/jobs', body: 'none', handler: listJobs },
  { method: 'get', path: '/api/jobs/:id', body: 'none', handler: getJob },
  { method: 'delete', path: '/api/jobs/:id', body: 'none', handler: cancelJob },
  { method: 'patch', path: '/api/jobs/:id/priority', body: 'json', handler: setPriority },
  { method: 'put', path: '/api/inputs/:sha256', body: 'raw', handler: putInput },
  { method: 'get', path: '/api/view', body: 'none', handler: view },
  { method: 'get', path: '/api/object_info', body: 'none', handler: objectInfo },
  { method: 'get', path: '/api/gpu/models', body: 'none', handler: gpuListing('/models') },
  { method: 'get', path: '/api/gpu/models/:folder', body: 'none', handler: gpuListing('/models') },
  { method: 'get', path: '/api/gpu/embeddings', body: 'none', handler: gpuListing('/embeddings') },
  {
    method: 'get',
    path: '/api/gpu/experiment/models',
    body: 'none',
    handler: gpuListing('/experiment/models'),
  },
  {
    method: 'get',
    path: '/api/gpu/experiment/models/:folder',
    body: 'none',
    handler: gpuListing('/experiment/models'),
  },
  { method: 'get', path: '/api/queue/status', body: 'none', handler: queueStatus },
  { method: 'get', path: '/api/admin/prewarm', body: 'none', handler: prewarmStatus },
  { method: 'post', path: '/api/admin/prewarm/warm-now', body: 'none', handler: warmNow },
  { method: 'get', path: '/api/admin/gallery', body: 'none', handler: galleryList },
  { method: 'get', path: '/api/admin/gallery/image/:id', body: 'none', handler: galleryImage },
  { method: 'post', path: '/api/admin/gallery/hide', body: 'json', handler: galleryHide },
  { method: 'get', path: '/api/gallery/opt-out', body: 'none', handler: getOptOut },
  { method: 'put', path: '/api/gallery/opt-out', body: 'json', handler: putOptOut },
  { method: 'get', path: '/api/workshop/workflows', body: 'none', handler: listWorkflows },
  { method: 'get', path: '/api/workshop/workflows/:name', body: 'none', handler: readWorkflow },
  { method: 'put', path: '/api/workshop/workflows/:name', body: 'json', handler: publishWorkflow },
  { method: 'post', path: '/api/workshop/broadcast', body: 'json', handler: broadcast },
];
