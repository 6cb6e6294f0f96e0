/** @fileoverview Where the relay's API is, seen from the dashboard page. */

/**
 * The relay root for a page served at `<prefix>/admin/…`: `<prefix>/`. Derived from the page's
 * own address so the dashboard works unchanged behind a reverse proxy that adds a prefix.
 */
export function relayBaseUrl(href: string): string {
  const url = new URL(href);
  const at = url.pathname.lastIndexOf('/admin/');
  url.pathname = at === -1 ? '/' : url.pathname.slice(0, at + 1);
  url.search = '';
  url.hash = '';
  return url.href;
}
