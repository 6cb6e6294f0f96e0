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
import { json, type Reply } from '../../../kit/aiohttp-reply';
import type { WorkshopWorkflowList } from '../../../protocol/src/relay/workshop';
import type { LocalComfy } from '../comfy/local-comfy';
import type { Request } from '../http/route-table';
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

/** A route's answer; undefined passes the request on to the local ComfyUI unchanged. */
type Answer = (req: Request) => Promise<Reply | undefined>;

export type UserdataRoutes = {
  /** `GET /api/comfyume/workshop`: the workshop's list and its default workflow, for our extension. */
  workshop: Answer;
  /** `GET /userdata?dir=workflows`: the attendee's files plus the workshop's. */
  list: Answer;
  /** `GET /v2/userdata?path=…`: the same for the newer listing. */
  listV2: Answer;
  /** `GET /userdata/workflows%2F<name>`: the attendee's own copy, else the workshop's. */
  read: Answer;
  /** Writes (save, delete, move): refused when a named parameter is not a safe name, else passed on. */
  checkNames(...names: string[]): Answer;
  /** A refusal for a path under /userdata/ with a raw slash no route matched (never passed on). */
  nestedPath(pathname: string): Reply | undefined;
};

/** ComfyUI answers its userdata refusals as plain text; ours say what was wrong with the name. */
const refuse = (problem: string): Reply => ({
  status: 400,
  text: `Invalid userdata path: ${problem}`,
});

export function createUserdataRoutes(options: UserdataRoutesOptions): UserdataRoutes {
  const { relay, local, logger } = options;

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
  const query = (req: Request) => new URL(req.url ?? '/', 'http://sidecar').searchParams;
  const localList = async (req: Request): Promise<unknown[] | undefined> => {
    const answer = await local.getJson(req.url ?? '/');
    return Array.isArray(answer) ? answer : undefined;
  };
  const nameProblem = (req: Request, names: string[]) => {
    for (const name of names) {
      const problem = userdataPathProblem(String(req.params[name] ?? ''));
      if (problem) return refuse(problem);
    }
    return undefined;
  };

  return {
    workshop: async () => json(await workshop()),

    async list(req) {
      const params = query(req);
      const dir = params.get('dir') ?? '';
      const problem = dir ? userdataPathProblem(dir) : undefined;
      if (problem) return refuse(problem);
      if (!isWorkflowsDir(dir)) return undefined;
      const flag = (name: string) => (params.get(name) ?? '').toLowerCase() === 'true';
      const [own, list] = await Promise.all([localList(req), workshop()]);
      if (!list.workflows.length) return undefined; // nothing to add: ComfyUI's own answer, byte for byte
      return json(
        mergeListing(own, list.workflows, { fullInfo: flag('full_info'), split: flag('split') }),
      );
    },

    async listV2(req) {
      const path = query(req).get('path') ?? '';
      const problem = userdataPathProblem(path);
      if (problem) return refuse(problem);
      const atRoot = path.replace(/\/+$/, '') === '';
      if (!atRoot && !isWorkflowsDir(path)) return undefined;
      const [own, list] = await Promise.all([localList(req), workshop()]);
      if (!list.workflows.length) return undefined;
      return json(mergeListingV2(own, list.workflows, atRoot));
    },

    async read(req) {
      const refusal = nameProblem(req, ['file']);
      if (refusal) return refusal;
      const name = workshopName(String(req.params.file));
      if (!name) return undefined;
      let template: unknown;
      try {
        template = await relay.workshopWorkflow(name);
      } catch {
        template = undefined; // the relay is away: the attendee's own file, or ComfyUI's 404
      }
      if (template === undefined) return undefined;
      // Their own saved copy wins: let the local ComfyUI answer when it has one.
      if ((await local.getJson(req.url ?? '/')) !== undefined) return undefined;
      return {
        status: 200,
        text: JSON.stringify(template),
        contentType: 'application/json',
        headers: { 'X-Content-Type-Options': 'nosniff' },
      };
    },

    checkNames:
      (...names) =>
      async (req) =>
        nameProblem(req, names),

    nestedPath(pathname) {
      const rest = /^\/(?:api\/)?userdata\/(.*)$/.exec(pathname)?.[1];
      if (rest === undefined || !rest.includes('/') || /^[^/]+\/move\/[^/]+$/.test(rest))
        return undefined;
      return refuse('a userdata file is one URL-encoded path segment (workflows%2Fname.json)');
    },
  };
}
