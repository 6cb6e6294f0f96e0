/**
 * @fileoverview The one HTTP transport to a ComfyUI (a direct GPU, the serverless endpoint, an
 * attendee's sidecar or nginx, a simulator): base URL, auth header (Bearer API key or Basic
 * credentials), a timeout on every request, failures typed as ComfyUnavailable with a message that
 * names the request, and the API key scrubbed from every text it hands back. Which statuses mean
 * "not there" is the caller's policy (`unavailableStatus`); the routes themselves are in api.ts.
 */
import { causeCode, ComfyUnavailable, maybeDelivered } from './errors';

export type ComfyAuth = { bearer: string } | { basic: { user: string; password: string } };

export type ComfyHttpOptions = {
  baseUrl: string;
  auth?: ComfyAuth;
  /** Sent with every request (e.g. `accept`). */
  headers?: Record<string, string>;
  /** Per-request timeout unless a request names its own. */
  timeoutMs: number;
  fetch?: typeof fetch;
  /** Statuses thrown as a retryable ComfyUnavailable rather than returned (default: none). */
  unavailableStatus?: (status: number) => boolean;
  /** Error messages name the whole URL, not only the path (a relay with many GPUs). */
  urlInErrors?: boolean;
  /** Told of every exchange: false for a transport failure or an unavailable status. */
  observe?: (ok: boolean) => void;
};

export type RequestInit = {
  json?: unknown;
  form?: FormData;
  signal?: AbortSignal;
  timeoutMs?: number;
  headers?: Record<string, string>;
};

/** An answer: its status, the body parsed as JSON (undefined when it is not JSON) and its text, scrubbed. */
export type Reply = { status: number; body: unknown; text: string };

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** The 5xx statuses (`status >= 500`): a direct GPU is not there or failed the request. */
export const SERVER_ERROR = (status: number): boolean => status >= 500;

/** `http://user:pw@host/user001/` → base URL without credentials + their Basic auth. */
export function splitCredentials(
  url: string,
  credentials?: { user: string; password: string },
): { baseUrl: string; auth?: ComfyAuth } {
  const parsed = new URL(url);
  const user = credentials?.user ?? decodeURIComponent(parsed.username);
  const password = credentials?.password ?? decodeURIComponent(parsed.password);
  parsed.username = '';
  parsed.password = '';
  const baseUrl = parsed.toString().replace(/\/+$/, '');
  return user ? { baseUrl, auth: { basic: { user, password } } } : { baseUrl };
}

function authHeader(auth: ComfyAuth | undefined): Record<string, string> {
  if (!auth) return {};
  if ('bearer' in auth) return { authorization: `Bearer ${auth.bearer}` };
  const pair = `${auth.basic.user}:${auth.basic.password}`;
  return { authorization: `Basic ${Buffer.from(pair).toString('base64')}` };
}

export class ComfyHttp {
  readonly baseUrl: string;
  /** Every request's headers: the options' and the auth header (for the WebSocket upgrade too). */
  readonly headers: Record<string, string>;
  private readonly secret: string | undefined;

  constructor(private readonly options: ComfyHttpOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.headers = { ...options.headers, ...authHeader(options.auth) };
    this.secret =
      options.auth && 'bearer' in options.auth ? options.auth.bearer : options.auth?.basic.password;
  }

  /** Replace the API key (or password) with [redacted] in a text. */
  scrub(text: string): string {
    return this.secret ? text.split(this.secret).join('[redacted]') : text;
  }

  /** One request, its body read as text and parsed when JSON. */
  async request(method: Method, path: string, init: RequestInit = {}): Promise<Reply> {
    const response = await this.send(method, path, init);
    const text = await response.text().catch(() => '');
    let body: unknown = undefined;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {}
    return { status: response.status, body, text: this.scrub(text) };
  }

  /** One GET whose body is bytes (a /view download). */
  async download(path: string, init: RequestInit = {}): Promise<{ status: number; bytes: Buffer }> {
    const response = await this.send('GET', path, init);
    return { status: response.status, bytes: Buffer.from(await response.arrayBuffer()) };
  }

  /** The request sent; a transport failure, a timeout or an unavailable status thrown as ComfyUnavailable. */
  private async send(method: Method, path: string, init: RequestInit): Promise<Response> {
    const headers: Record<string, string> = { ...this.headers, ...init.headers };
    let body: string | FormData | undefined;
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    } else if (init.form) body = init.form;
    const timeoutMs = init.timeoutMs ?? this.options.timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    const what = `${method} ${this.options.urlInErrors ? this.baseUrl : ''}${path}`;
    let response: Response;
    try {
      response = await (this.options.fetch ?? fetch)(`${this.baseUrl}${path}`, {
        method,
        headers,
        body,
        signal,
      });
    } catch (error) {
      this.options.observe?.(false);
      if (init.signal?.aborted) throw init.signal.reason ?? error;
      if (timeout.aborted)
        throw new ComfyUnavailable(`${what}: no answer within ${timeoutMs} ms`, true, true);
      const code = causeCode(error);
      const detail = code || (error instanceof Error ? error.message : String(error));
      throw new ComfyUnavailable(
        this.scrub(`${what}: cannot reach the ComfyUI (${detail})`),
        true,
        maybeDelivered(code),
      );
    }
    if (this.options.unavailableStatus?.(response.status)) {
      this.options.observe?.(false);
      const text = await response.text().catch(() => '');
      const snippet = text.replace(/\s+/g, ' ').trim().slice(0, 160);
      // 502/503 come from a gateway with no replica up; any other may follow a forwarded request.
      throw new ComfyUnavailable(
        this.scrub(
          `${what}: HTTP ${response.status} ${response.statusText}${snippet ? ` (${snippet})` : ''}`,
        ),
        true,
        response.status !== 502 && response.status !== 503,
        response.status,
      );
    }
    this.options.observe?.(true);
    return response;
  }
}
