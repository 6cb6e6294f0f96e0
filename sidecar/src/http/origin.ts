/**
 * @fileoverview ComfyUI's default CSRF guard (`origin_only_middleware`, server.py 0.27), applied by
 * the sidecar itself: it now answers at ComfyUI's old address, so it must refuse what ComfyUI
 * refused; what passes is forwarded with an Origin the local ComfyUI accepts (§7.2.1).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';

function isLoopback(hostname: string | undefined): boolean {
  if (!hostname) return false;
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1';
  return false;
}

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/** True when ComfyUI would answer 403: a cross-site fetch, or a loopback Host with a foreign Origin. */
export function originRefused(headers: IncomingHttpHeaders): boolean {
  if (first(headers['sec-fetch-site']) === 'cross-site') return true;
  const host = first(headers.host)?.toLowerCase();
  const origin = first(headers.origin);
  if (!host || !origin) return false;
  let originUrl: URL;
  let hostUrl: URL;
  try {
    originUrl = new URL(origin);
    hostUrl = new URL(`http://${host}`);
  } catch {
    return false; // ComfyUI's urlparse yields no netloc → no comparison
  }
  if (!isLoopback(hostUrl.hostname)) return false;
  // ComfyUI drops the port on the side that lacks one on the other side.
  const hostDomain = originUrl.port === '' && !/:\d+$/.test(origin) ? hostUrl.hostname : host;
  const originDomain = /:\d+$/.test(host)
    ? originUrl.host.toLowerCase()
    : originUrl.hostname.toLowerCase();
  return hostDomain !== '' && originDomain !== '' && hostDomain !== originDomain;
}
