/**
 * @fileoverview One authenticated call to the relay's operator API, for the dashboard's clients:
 * the operator's Bearer token (or none, when the proxy in front adds it), a JSON body, a timeout,
 * no caching, and a refusal thrown with the relay's own message.
 */
const TIMEOUT_MS = 10_000;

export type RelayCall = (method: string, path: string, body?: unknown) => Promise<Response>;

export function createRelayCall(
  baseUrl: string,
  token: string,
  fetchImpl: typeof fetch = (...a) => fetch(...a),
): RelayCall {
  return async (method, path, body) => {
    const response = await fetchImpl(new URL(path, baseUrl), {
      method,
      headers: {
        // '' = the proxy in front (nginx, basic auth) adds the operator's Bearer token itself.
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
      cache: 'no-store',
    });
    if (!response.ok) {
      const parsed = (await response.json().catch(() => undefined)) as
        { error?: { message?: string } } | undefined;
      throw new Error(parsed?.error?.message ?? `${response.status} ${response.statusText}`);
    }
    return response;
  };
}
