/**
 * @fileoverview The sidecar's HTTP request path, in order:
 *   1. base path (optional `SIDECAR_BASE_PATH`: `/user001` → 301 to `/user001/`, prefix stripped)
 *   2. ComfyUI's origin check (403, as ComfyUI would)
 *   3. the routes the sidecar answers itself (prompt, queue, history, interrupt, jobs, and what the
 *      GPU has: object_info, models, embeddings), both spellings
 *   4. `/view` of a file in the attendee's folders: straight from disk, as ComfyUI sends it; the
 *      userdata API (the attendee's files plus the workshop's workflows, names checked)
 *   5. everything else → the local ComfyUI (proxy)
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logger';
import type { LocalProxy } from '../proxy/proxy';
import type { CatalogRoutes } from './catalog-routes';
import { GALLERY_OPT_OUT_PATH, type createGalleryRoutes } from './gallery-routes';
import { originRefused } from './origin';
import { errorReply } from './reply';
import { createRouteTable, type Request } from './route-table';
import type { ViewFiles } from './view-files';
import type { UserdataRoutes } from '../workshop/userdata-routes';
import { send, type Reply } from '../../../kit/aiohttp-reply';

export type Routes = {
  postPrompt(req: IncomingMessage): Promise<Reply>;
  getPrompt(req: IncomingMessage): Promise<Reply>;
  getQueue(req: IncomingMessage): Promise<Reply>;
  postQueue(req: IncomingMessage): Promise<Reply>;
  getHistory(req: IncomingMessage): Promise<Reply>;
  getHistoryItem(id: string): Promise<Reply>;
  postHistory(req: IncomingMessage): Promise<Reply>;
  postInterrupt(req: IncomingMessage): Promise<Reply>;
  listJobs(req: IncomingMessage): Promise<Reply>;
  jobDetail(id: string): Promise<Reply>;
  cancelJob(id: string): Promise<Reply | undefined>;
  cancelJobs(req: IncomingMessage): Promise<Reply | undefined>;
};

/** Strips `basePath` from a URL; `redirect` when the URL is the bare prefix (the UI needs the slash). */
export function stripBasePath(
  url: string,
  basePath: string,
): { url: string } | { redirect: string } {
  if (!basePath) return { url };
  const [path = '', query] = url.split(/\?(.*)/s, 2);
  if (path === basePath) return { redirect: `${basePath}/${query ? `?${query}` : ''}` };
  if (path.startsWith(`${basePath}/`)) return { url: url.slice(basePath.length) };
  return { url };
}

/** `/x` and `/api/x`: ComfyUI registers every route under both (§1.1). */
const both = (path: string) => [path, `/api${path}`];

export function createRouter(options: {
  basePath: string;
  routes: Routes;
  catalog: CatalogRoutes;
  viewFiles: ViewFiles;
  /** The userdata API with the workshop's workflows (workshop/userdata-routes.ts); the rest is proxied. */
  userdata?: UserdataRoutes;
  proxy: LocalProxy;
  logger: Logger;
  /** The attendee's gallery opt-out (absent in router tests). */
  gallery?: ReturnType<typeof createGalleryRoutes>;
}) {
  const { routes, catalog, logger } = options;
  const app = createRouteTable();

  const handle =
    (fn: (req: Request) => Promise<Reply | undefined>) =>
    async (req: Request, res: ServerResponse) => {
      const reply = await fn(req);
      if (reply) send(res, reply);
      else options.proxy.web(req, res);
    };
  const param = (req: Request, name = 'id') => String(req.params[name]);

  app.post(both('/prompt'), handle(routes.postPrompt));
  app.get(both('/prompt'), handle(routes.getPrompt));
  app.get(both('/queue'), handle(routes.getQueue));
  app.post(both('/queue'), handle(routes.postQueue));
  app.get(both('/history'), handle(routes.getHistory));
  app.get(
    both('/history/:id'),
    handle((req) => routes.getHistoryItem(param(req))),
  );
  app.post(both('/history'), handle(routes.postHistory));
  app.post(both('/interrupt'), handle(routes.postInterrupt));
  // The jobs routes exist only under /api (§1.1).
  app.get('/api/jobs', handle(routes.listJobs));
  app.post('/api/jobs/cancel', handle(routes.cancelJobs));
  app.get(
    '/api/jobs/:id',
    handle((req) => routes.jobDetail(param(req))),
  );
  app.post(
    '/api/jobs/:id/cancel',
    handle((req) => routes.cancelJob(param(req))),
  );
  app.get(both('/object_info'), handle(catalog.objectInfo));
  app.get(
    both('/object_info/:name'),
    handle((req) => catalog.objectInfoClass(param(req, 'name'))),
  );
  app.get(both('/models'), handle(catalog.models));
  app.get(
    both('/models/:folder'),
    handle((req) => catalog.modelFolder(param(req, 'folder'))),
  );
  app.get(both('/embeddings'), handle(catalog.embeddings));
  app.get(both('/experiment/models'), handle(catalog.experimentModels));
  app.get(
    both('/experiment/models/:folder'),
    handle((req) => catalog.experimentModelFolder(param(req, 'folder'))),
  );
  app.get(both('/view'), async (req, res) => {
    if (!(await options.viewFiles.serve(req, res))) options.proxy.web(req, res);
  });

  const gallery = options.gallery;
  if (gallery) {
    app.get(GALLERY_OPT_OUT_PATH, handle(gallery.get));
    app.put(GALLERY_OPT_OUT_PATH, handle(gallery.put));
  }

  const userdata = options.userdata;
  if (userdata) {
    app.get('/api/comfyume/workshop', handle(userdata.workshop));
    app.get(both('/userdata'), handle(userdata.list));
    app.get(both('/v2/userdata'), handle(userdata.listV2));
    app.get(both('/userdata/:file'), handle(userdata.read));
    app.post(both('/userdata/:file'), handle(userdata.checkNames('file')));
    app.delete(both('/userdata/:file'), handle(userdata.checkNames('file')));
    app.post(both('/userdata/:file/move/:dest'), handle(userdata.checkNames('file', 'dest')));
  }

  const failed = (error: unknown, req: IncomingMessage, res: ServerResponse) => {
    logger.warn(
      { err: error instanceof Error ? error.message : error, url: req.url },
      'request failed',
    );
    if (res.headersSent) {
      res.destroy();
      return;
    }
    send(res, errorReply(error));
  };

  return (req: IncomingMessage, res: ServerResponse): void => {
    const stripped = stripBasePath(req.url ?? '/', options.basePath);
    if ('redirect' in stripped) {
      res.writeHead(301, { location: stripped.redirect, 'content-length': 0 });
      res.end();
      return;
    }
    req.url = stripped.url;
    if (originRefused(req.headers)) {
      res.writeHead(403, { 'content-length': 0 });
      res.end();
      return;
    }
    const query = req.url.indexOf('?');
    const pathname = query < 0 ? req.url : req.url.slice(0, query);
    const found = app.match(req.method ?? 'GET', pathname);
    if (!found) {
      const refusal = options.userdata?.nestedPath(pathname);
      if (refusal) send(res, refusal);
      else options.proxy.web(req, res);
      return;
    }
    const request = Object.assign(req, { params: found.params });
    try {
      const done = found.handler(request, res);
      if (done) done.catch((error: unknown) => failed(error, req, res));
    } catch (error) {
      failed(error, req, res);
    }
  };
}
