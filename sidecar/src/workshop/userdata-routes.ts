/**
 * @fileoverview The attendee's userdata API with the instructor's workflows in it. Listings of the
 * Workflows folder (both spellings, `/userdata` and `/v2/userdata`) are the local ComfyUI's answer
 * plus the relay's workshop workflows; opening `workflows/<name>` gives the attendee's own file when
 * they have one, else the workshop's. Saving, deleting and moving always go to the local ComfyUI, so
 * saving a template under its name saves the attendee's own copy and never the instructor's. Every
 * name is checked first: `..`, backslashes and escapes left after decoding are refused with 400, so
 * nothing outside the attendee's (or the workshop's) folder is read or written. Our extension reads
 * the workshop's list (and its default workflow) at `/api/comfyume/workshop`.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { json, send, type Reply } from '../../../kit/aiohttp-reply';
import type { WorkshopWorkflowList } from '../../../protocol/src/relay/workshop';
import type { LocalComfy } from '../comfy/local-comfy';
import type { Logger } from '../logger';
import type { RelayClient } from '../relay/relay-client';
import {
  isWorkflowsDir,
  mergeListing,
  mergeListingV2,
  userdataPathProblem,
  workshopName,
} from './userdata-merge';

export type UserdataRoutesOptions = {
  relay: Pick<RelayClient, 'workshopWorkflows' | 'workshopWorkflow'>;
  local: Pick<LocalComfy, 'getJson'>;
  logger: Logger;
};

/** ComfyUI answers its userdata refusals as plain text; ours say what was wrong with the name. */
const refuse = (problem: string): Reply => ({
  status: 400,
  text: `Invalid userdata path: ${problem}`,
});

const both = (path: string) => [path, `/api${path}`];

export function createUserdataRoutes(options: UserdataRoutesOptions): express.Router {
  const { relay, local, logger } = options;
  const router = express.Router();

  /** The workshop's list; an unreachable relay leaves the attendee with their own files only. */
  const workshop = async (): Promise<WorkshopWorkflowList> => {
    try {
      return await relay.workshopWorkflows();
    } catch (error) {
      logger.warn(
        { err: error instanceof Error ? error.message : error },
        'could not list the workshop workflows; the sidebar shows the attendee’s own',
      );
      return { workflows: [] };
    }
  };
  const query = (req: Request) => new URL(req.url, 'http://sidecar').searchParams;
  const localList = async (req: Request): Promise<unknown[] | undefined> => {
    const answer = await local.getJson(req.url);
    return Array.isArray(answer) ? answer : undefined;
  };

  // Our extension asks which workshop workflow to open on a first visit (and what there is).
  router.get('/api/comfyume/workshop', async (_req: Request, res: Response) =>
    send(res, json(await workshop())),
  );

  // A path under /userdata/ with a raw slash (other than …/move/<dest>) or worse is never passed on.
  router.use((req: Request, res: Response, next: NextFunction) => {
    const rest = /^\/(?:api\/)?userdata\/(.*)$/.exec(req.path)?.[1];
    if (rest === undefined || !rest.includes('/') || /^[^/]+\/move\/[^/]+$/.test(rest))
      return next();
    send(res, refuse('a userdata file is one URL-encoded path segment (workflows%2Fname.json)'));
  });

  router.get(both('/userdata'), async (req: Request, res: Response, next: NextFunction) => {
    const params = query(req);
    const dir = params.get('dir') ?? '';
    const problem = dir ? userdataPathProblem(dir) : undefined;
    if (problem) return send(res, refuse(problem));
    if (!isWorkflowsDir(dir)) return next();
    const flag = (name: string) => (params.get(name) ?? '').toLowerCase() === 'true';
    const [own, list] = await Promise.all([localList(req), workshop()]);
    if (!list.workflows.length) return next(); // nothing to add: ComfyUI's own answer, byte for byte
    send(
      res,
      json(
        mergeListing(own, list.workflows, { fullInfo: flag('full_info'), split: flag('split') }),
      ),
    );
  });

  router.get(both('/v2/userdata'), async (req: Request, res: Response, next: NextFunction) => {
    const path = query(req).get('path') ?? '';
    const problem = userdataPathProblem(path);
    if (problem) return send(res, refuse(problem));
    const atRoot = path.replace(/\/+$/, '') === '';
    if (!atRoot && !isWorkflowsDir(path)) return next();
    const [own, list] = await Promise.all([localList(req), workshop()]);
    if (!list.workflows.length) return next();
    send(res, json(mergeListingV2(own, list.workflows, atRoot)));
  });

  const checked =
    (...names: string[]) =>
    (req: Request, res: Response, next: NextFunction) => {
      for (const name of names) {
        const problem = userdataPathProblem(String(req.params[name] ?? ''));
        if (problem) return send(res, refuse(problem));
      }
      next();
    };

  router.get(
    both('/userdata/:file'),
    checked('file'),
    async (req: Request, res: Response, next: NextFunction) => {
      const name = workshopName(String(req.params.file));
      if (!name) return next();
      let template: unknown;
      try {
        template = await relay.workshopWorkflow(name);
      } catch {
        template = undefined; // the relay is away: the attendee's own file, or ComfyUI's 404
      }
      if (template === undefined) return next();
      // Their own saved copy wins: let the local ComfyUI answer when it has one.
      if ((await local.getJson(req.url)) !== undefined) return next();
      send(res, {
        status: 200,
        text: JSON.stringify(template),
        contentType: 'application/json',
        headers: { 'X-Content-Type-Options': 'nosniff' },
      });
    },
  );
  // Writes go to the attendee's own ComfyUI, once the names are checked.
  router.post(both('/userdata/:file'), checked('file'));
  router.delete(both('/userdata/:file'), checked('file'));
  router.post(both('/userdata/:file/move/:dest'), checked('file', 'dest'));
  return router;
}
