/**
 * @fileoverview Talking HTTP to an attendee's ComfyUI (sidecar, or nginx's /userNNN/ with basic
 * auth): the target, a fetch wrapper whose failures say which URL, and the error type.
 */
export type Target = { baseUrl: string; headers: Record<string, string> };

/** `http://user:pw@host/user001/` → base URL without credentials + a Basic Authorization header. */
export function parseTarget(url: string, credentials?: { user: string; password: string }): Target {
  const parsed = new URL(url);
  const user = credentials?.user ?? decodeURIComponent(parsed.username);
  const password = credentials?.password ?? decodeURIComponent(parsed.password);
  parsed.username = '';
  parsed.password = '';
  const headers: Record<string, string> = {};
  if (user)
    headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  return { baseUrl: parsed.toString().replace(/\/+$/, ''), headers };
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

export async function request(
  target: Target,
  path: string,
  init: RequestInit = {},
): Promise<Response> {
  try {
    return await fetch(`${target.baseUrl}${path}`, {
      ...init,
      headers: { ...target.headers, ...(init.headers as Record<string, string>) },
      signal: AbortSignal.timeout(60_000),
    });
  } catch (error) {
    throw new SubmitError(`cannot reach ${target.baseUrl}${path}: ${(error as Error).message}`);
  }
}

export async function getJson<T>(target: Target, path: string): Promise<T> {
  const res = await request(target, path);
  if (!res.ok)
    throw new SubmitError(
      `GET ${path} answered ${res.status}${res.status === 401 ? ' (wrong or missing credentials)' : ''}`,
    );
  return (await res.json()) as T;
}
