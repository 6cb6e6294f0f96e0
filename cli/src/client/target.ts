/**
 * @fileoverview An attendee's ComfyUI as the CLI talks to it (a sidecar, a sidecar behind nginx's
 * /userNNN/ with basic auth, or a plain ComfyUI): kit/comfy's client over its `/api` routes with
 * a 60 s timeout, and the CLI's own words for what went wrong (SubmitError).
 */
import { ComfyClient } from '../../../kit/comfy/client';
import { splitCredentials } from '../../../kit/comfy/http';

export type Target = ComfyClient;

/** `http://user:pw@host/user001/` → a client of that base URL, the credentials sent as Basic auth. */
export function parseTarget(url: string, credentials?: { user: string; password: string }): Target {
  return new ComfyClient({
    ...splitCredentials(url, credentials),
    apiPrefix: '/api',
    timeoutMs: 60_000,
    urlInErrors: true,
  });
}

export type SavedFile = {
  filename: string;
  subfolder: string;
  type: string;
  path?: string;
  bytes: number;
};

export class SubmitError extends Error {
  override name = 'SubmitError';
  constructor(
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** GET a JSON route; any answer but a 2xx is a SubmitError (401: the credentials). */
export async function getJson<T>(target: Target, path: string): Promise<T> {
  const { status, body } = await target.http.request('GET', path);
  if (status < 200 || status >= 300)
    throw new SubmitError(
      `GET ${path} answered ${status}${status === 401 ? ' (wrong or missing credentials)' : ''}`,
    );
  return body as T;
}
