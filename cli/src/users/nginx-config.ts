/**
 * @fileoverview The workshop's nginx config: `/userNNN/` → that attendee's sidecar behind that
 * attendee's own htpasswd file, `/admin/` and the relay API behind the operator's, WebSocket
 * upgrades, long timeouts, 100 MB uploads. Parameterised by upstream addresses and file paths so the
 * same builder serves docker (service names, /etc/nginx paths) and local runs (loopback ports, tmp).
 */
import { block, blank, comment, d, renderNginx, type NginxNode } from './nginx-ast';

export type NginxUser = {
  id: string; // user001
  upstream: string; // host:port of the attendee's sidecar
  htpasswdFile: string; // holds exactly this user's credentials
};

export type WorkshopNginxOptions = {
  listen: string | number; // 8080, or 127.0.0.1:8080
  serverName?: string;
  users: readonly NginxUser[];
  relayUpstream: string; // host:port of the relay
  adminHtpasswdFile: string;
  /** Sent to the relay as `Authorization: Bearer` on admin locations (so the config is a secret file). */
  adminToken?: string;
  maxBodySize?: string; // match ComfyUI's --max-upload-size (100 MB)
  proxyTimeout?: string; // read/send timeout for long jobs and idle WebSockets
  /** Where `/` sends a visitor (a short page listing nothing secret). */
  landingText?: string;
};

export type StandaloneOptions = {
  /** nginx -p prefix: logs and temp files go under it, so nginx runs without root-owned paths. */
  prefixDir: string;
  pidFile: string;
  /** When the master runs as root, workers run as this user (they must read the htpasswd files). */
  user?: string;
  workerProcesses?: number;
};

/** The `user\d+` tenant in a Referer such as `https://host/user001/`, for root-level absolute URLs. */
const tenantFromReferer = '~^https?://[^/]+/(?<tenant>[A-Za-z0-9_-]+)/';

/** `keepAuthorization`: the location sets its own Authorization header (admin → relay Bearer). */
function proxyHeaders(timeout: string, keepAuthorization = false): NginxNode[] {
  return [
    d('proxy_http_version', '1.1'),
    d('proxy_set_header', 'Upgrade', '$http_upgrade'),
    d('proxy_set_header', 'Connection', '$connection_upgrade'),
    // The public Host travels on, so ComfyUI's origin check sees Host and Origin agree (pitfall 1).
    d('proxy_set_header', 'Host', '$http_host'),
    d('proxy_set_header', 'X-Forwarded-For', '$proxy_add_x_forwarded_for'),
    d('proxy_set_header', 'X-Forwarded-Proto', '$scheme'),
    // The attendee's basic-auth header is nginx's business, not the sidecar's.
    ...(keepAuthorization ? [] : [d('proxy_set_header', 'Authorization', '')]),
    d('proxy_read_timeout', timeout),
    d('proxy_send_timeout', timeout),
  ];
}

/** Nothing under a tenant or the API is cached, except `/view` files (cacheable by query, §6.3). */
function noCache(): NginxNode[] {
  return [d('add_header', 'Cache-Control', '$comfyume_cache_control', 'always')];
}

function userLocations(user: NginxUser, timeout: string): NginxNode[] {
  const prefix = `/${user.id}`;
  return [
    comment(`${user.id}: only ${user.id}'s credentials`),
    // Without the slash the frontend computes api_base "" and calls the domain root (§6.1).
    block('location', ['=', prefix], [d('return', 301, `${prefix}/`)]),
    block(
      'location',
      [`${prefix}/`],
      [
        d('auth_basic', `ComfyuME ${user.id}`),
        d('auth_basic_user_file', user.htpasswdFile),
        // No URI part: nginx passes the path as the browser sent it, so an encoded slash
        // (`/api/userdata/workflows%2Fa.json`) reaches the sidecar still encoded, as ComfyUI's
        // userdata API needs. A URI part (`…/`) would strip /userNNN but forward the decoded path.
        // The sidecar strips /userNNN itself (SIDECAR_BASE_PATH): ComfyUI has no base-path option.
        d('proxy_pass', `http://${user.upstream}`),
        ...proxyHeaders(timeout),
        // Uploads stream straight to the sidecar instead of being spooled to nginx's disk first.
        d('proxy_request_buffering', 'off'),
        ...noCache(),
      ],
    ),
  ];
}

function adminLocations(opts: WorkshopNginxOptions, timeout: string): NginxNode[] {
  const auth = [
    d('auth_basic', 'ComfyuME admin'),
    d('auth_basic_user_file', opts.adminHtpasswdFile),
    // The relay wants its own Bearer admin token; the operator's browser only has the basic credential.
    ...(opts.adminToken
      ? [d('proxy_set_header', 'Authorization', `Bearer ${opts.adminToken}`)]
      : []),
  ];
  const relay = `http://${opts.relayUpstream}`;
  return [
    comment('The operator: admin dashboard and the relay API (admin credential only).'),
    block('location', ['=', '/admin'], [d('return', 301, '/admin/')]),
    block(
      'location',
      ['/admin/'],
      [
        ...auth,
        d('proxy_pass', `${relay}/admin/`),
        ...proxyHeaders(timeout, opts.adminToken !== undefined),
        ...noCache(),
      ],
    ),
    // /relay/<path> → the relay's /<path> (its /api/*, /metrics, /health).
    block(
      'location',
      ['/relay/'],
      [
        ...auth,
        d('proxy_pass', `${relay}/`),
        ...proxyHeaders(timeout, opts.adminToken !== undefined),
        ...noCache(),
      ],
    ),
    comment(
      [
        'Root-level /api/ and /internal/: a few frontend widgets use absolute URLs (§6.2). A request',
        "whose Referer is an attendee's page is redirected into that attendee's prefix, where their",
        "own credentials apply; anything else is the relay API (the admin page's calls), admin only.",
      ].join('\n'),
    ),
    block(
      'location',
      ['/api/'],
      [
        block('if', ['($comfyume_tenant)'], [d('return', 307, '/$comfyume_tenant$request_uri')]),
        ...auth,
        d('proxy_pass', `${relay}`),
        ...proxyHeaders(timeout, opts.adminToken !== undefined),
        ...noCache(),
      ],
    ),
    block(
      'location',
      ['/internal/'],
      [
        block('if', ['($comfyume_tenant)'], [d('return', 307, '/$comfyume_tenant$request_uri')]),
        d('return', 404),
      ],
    ),
    block(
      'location',
      ['/assets/images/'],
      [
        block('if', ['($comfyume_tenant)'], [d('return', 307, '/$comfyume_tenant$request_uri')]),
        d('return', 404),
      ],
    ),
  ];
}

/** http-context nodes: maps and the server. Drop-in for the official image's /etc/nginx/conf.d/. */
export function workshopHttpNodes(opts: WorkshopNginxOptions): NginxNode[] {
  const timeout = opts.proxyTimeout ?? '3600s';
  const known = opts.users.map((user) => user.id);
  return [
    comment('Generated by `comfyume users`. Edit the generator, not this file.'),
    block(
      'map',
      ['$http_upgrade', '$connection_upgrade'],
      [d('default', 'upgrade'), d('', 'close')],
    ),
    // Only known tenants are redirected to; anything else falls through to the admin-only API.
    block(
      'map',
      ['$http_referer', '$comfyume_referer_tenant'],
      [d('default', ''), d(tenantFromReferer, '$tenant')],
    ),
    block(
      'map',
      ['$comfyume_referer_tenant', '$comfyume_tenant'],
      [d('default', ''), ...known.map((id) => d(id, id))],
    ),
    block('map', ['$uri', '$comfyume_cache_control'], [d('default', 'no-store'), d('~/view$', '')]),
    blank,
    block(
      'server',
      [],
      [
        d('listen', opts.listen),
        d('server_name', opts.serverName ?? '_'),
        d('client_max_body_size', opts.maxBodySize ?? '100m'),
        d('absolute_redirect', 'off'),
        d('server_tokens', 'off'),
        blank,
        block(
          'location',
          ['=', '/'],
          [
            d('default_type', 'text/plain'),
            d(
              'return',
              200,
              opts.landingText ??
                'ComfyuME workshop. Open /userNNN/ with the credentials you were given.',
            ),
          ],
        ),
        block(
          'location',
          ['=', '/health'],
          [d('access_log', 'off'), d('default_type', 'text/plain'), d('return', 200, 'ok')],
        ),
        blank,
        ...opts.users.flatMap((user) => [...userLocations(user, timeout), blank]),
        ...adminLocations(opts, timeout),
      ],
    ),
  ];
}

/** A complete nginx.conf around the http nodes, for `nginx -p <prefix> -c <file>` without root paths. */
export function standaloneNodes(http: NginxNode[], opts: StandaloneOptions): NginxNode[] {
  const p = (name: string) => `${opts.prefixDir.replace(/\/$/, '')}/${name}`;
  return [
    ...(opts.user ? [d('user', opts.user)] : []),
    d('worker_processes', opts.workerProcesses ?? 1),
    d('pid', opts.pidFile),
    d('error_log', 'stderr', 'warn'),
    block('events', [], [d('worker_connections', 4096)]),
    block(
      'http',
      [],
      [
        d('default_type', 'application/octet-stream'),
        d('access_log', 'off'),
        d('sendfile', 'on'),
        d('client_body_temp_path', p('client_body')),
        d('proxy_temp_path', p('proxy')),
        d('fastcgi_temp_path', p('fastcgi')),
        d('uwsgi_temp_path', p('uwsgi')),
        d('scgi_temp_path', p('scgi')),
        ...http,
      ],
    ),
  ];
}

export function renderWorkshopConf(opts: WorkshopNginxOptions): string {
  return `${renderNginx(workshopHttpNodes(opts))}\n`;
}

export function renderStandaloneConf(
  opts: WorkshopNginxOptions,
  standalone: StandaloneOptions,
): string {
  return `${renderNginx(standaloneNodes(workshopHttpNodes(opts), standalone))}\n`;
}
