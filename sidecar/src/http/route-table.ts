/**
 * @fileoverview The sidecar's route table: method + path pattern (`/api/jobs/:id`) → handler, on
 * plain node:http. Express did this at ~11 MB of RSS per attendee and a middleware walk per
 * request, for a dozen fixed routes. Parameters match one raw path segment and are URL-decoded
 * (as express does, so `/userdata/workflows%2Fa.json` gives `workflows/a.json`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A request with the parameters its route named. */
export type Request = IncomingMessage & { params: Record<string, string> };

export type RouteHandler = (req: Request, res: ServerResponse) => Promise<void> | void;

type Route = { method: string; segments: string[]; handler: RouteHandler };

export type RouteTable = {
  get(paths: string | string[], handler: RouteHandler): void;
  post(paths: string | string[], handler: RouteHandler): void;
  put(paths: string | string[], handler: RouteHandler): void;
  delete(paths: string | string[], handler: RouteHandler): void;
  /** The handler for this method and path (HEAD finds GET routes), with its parameters. */
  match(
    method: string,
    pathname: string,
  ): { handler: RouteHandler; params: Record<string, string> } | undefined;
};

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

export function createRouteTable(): RouteTable {
  const routes: Route[] = [];
  const add = (method: string) => (paths: string | string[], handler: RouteHandler) => {
    for (const path of Array.isArray(paths) ? paths : [paths])
      routes.push({ method, segments: path.split('/'), handler });
  };
  return {
    get: add('GET'),
    post: add('POST'),
    put: add('PUT'),
    delete: add('DELETE'),
    match(method, pathname) {
      const wanted = method === 'HEAD' ? 'GET' : method;
      const segments = pathname.split('/');
      outer: for (const route of routes) {
        if (route.method !== wanted || route.segments.length !== segments.length) continue;
        const params: Record<string, string> = {};
        for (let i = 0; i < segments.length; i++) {
          const pattern = route.segments[i]!;
          const actual = segments[i]!;
          if (pattern.startsWith(':')) {
            const value = decode(actual);
            if (!actual || value === undefined) continue outer;
            params[pattern.slice(1)] = value;
          } else if (pattern !== actual) continue outer;
        }
        return { handler: route.handler, params };
      }
      return undefined;
    },
  };
}
