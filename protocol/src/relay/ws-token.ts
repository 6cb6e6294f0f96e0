/**
 * @fileoverview Carrying a bearer token on a browser WebSocket. Browsers cannot set headers on
 * `new WebSocket()`, and a `?token=` query ends up in proxy access logs, so the dashboard offers
 * two subprotocols: `comfyume.v1` and `comfyume.bearer.<base64url(token)>`. The relay reads the
 * token back (tokenFromProtocols, via relay/src/admin/ws-token.ts) before its usual header auth,
 * and ws answers with the first offered protocol, `comfyume.v1`, so the token is never echoed.
 *
 * The one home of the format, used by the browser and the server: web globals only
 * (btoa/atob, TextEncoder/TextDecoder), which browsers and Node 20 both provide.
 */
export const WS_PROTOCOL = 'comfyume.v1';
const TOKEN_PREFIX = 'comfyume.bearer.';

function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(value: string): string | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(value)) return undefined;
  try {
    const binary = atob(value.replace(/-/g, '+').replace(/_/g, '/'));
    return new TextDecoder('utf-8', { fatal: true }).decode(
      Uint8Array.from(binary, (c) => c.charCodeAt(0)),
    );
  } catch {
    return undefined;
  }
}

/** The protocols a browser passes to `new WebSocket(url, protocols)` to authenticate with `token`. */
export function tokenProtocols(token: string): string[] {
  // No token: a proxy in front authenticates the upgrade (nginx adds the operator's Bearer token).
  if (!token) return [WS_PROTOCOL];
  return [WS_PROTOCOL, `${TOKEN_PREFIX}${toBase64Url(token)}`];
}

/** The token in a `Sec-WebSocket-Protocol` header, if one of its entries carries one. */
export function tokenFromProtocols(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header.join(',') : header;
  if (!value) return undefined;
  for (const entry of value.split(',')) {
    const protocol = entry.trim();
    if (protocol.startsWith(TOKEN_PREFIX))
      return fromBase64Url(protocol.slice(TOKEN_PREFIX.length));
  }
  return undefined;
}
