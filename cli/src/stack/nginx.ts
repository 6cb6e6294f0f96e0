/**
 * @fileoverview Debian's nginx as an ordinary user process: a prefix folder of its own (logs,
 * temp files, pid), config checked with `nginx -t` first so a bad config is one clear message.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { renderStandaloneConf, type WorkshopNginxOptions } from '../users/nginx-config';
import { portOpen, spawnManaged, waitUntil, type ManagedProcess } from './processes';

const execFileAsync = promisify(execFile);

export const NGINX_CANDIDATES = [
  '/usr/sbin/nginx',
  '/usr/local/sbin/nginx',
  '/usr/local/nginx/sbin/nginx',
];

export function findNginx(): string | undefined {
  return NGINX_CANDIDATES.find((path) => existsSync(path));
}

export type LocalNginx = {
  url: string;
  port: number;
  confFile: string;
  process: ManagedProcess;
  stop: () => Promise<void>;
};

/**
 * Writes `<dir>/nginx.conf` for `opts` (which must listen on 127.0.0.1:<port> or <port>), checks
 * it, starts nginx in the foreground and waits for the port.
 */
export async function startLocalNginx(
  opts: WorkshopNginxOptions & { port: number },
  dir: string,
  spawnOpts: { logFile?: string; echo?: NodeJS.WritableStream } = {},
): Promise<LocalNginx> {
  const binary = findNginx();
  if (!binary)
    throw new Error('nginx is not installed (apt-get install nginx-light), or run with --no-nginx');
  for (const sub of ['', 'client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi', 'logs'])
    await mkdir(join(dir, sub), { recursive: true });
  const confFile = join(dir, 'nginx.conf');
  const isRoot = process.getuid?.() === 0;
  // As root, nginx would run workers as `nobody`, who cannot read files in a private temp folder.
  const conf = renderStandaloneConf(opts, {
    prefixDir: dir,
    pidFile: join(dir, 'nginx.pid'),
    user: isRoot ? userInfo().username : undefined,
  });
  await writeFile(confFile, conf, { mode: 0o600 });
  try {
    await execFileAsync(binary, ['-t', '-q', '-p', dir, '-c', confFile]);
  } catch (error) {
    throw new Error(
      `nginx rejected the generated config ${confFile}:\n${(error as { stderr?: string }).stderr ?? error}`,
    );
  }
  const proc = spawnManaged(
    'nginx',
    binary,
    ['-p', dir, '-c', confFile, '-g', 'daemon off;'],
    spawnOpts,
  );
  await waitUntil('nginx', () => portOpen(opts.port), { process: proc, timeoutMs: 15_000 });
  return {
    url: `http://127.0.0.1:${opts.port}`,
    port: opts.port,
    confFile,
    process: proc,
    stop: () => proc.stop(),
  };
}

/** Options for a local run: loopback upstreams and the htpasswd files `comfyume users` wrote. */
export function localNginxOptions(p: {
  port: number;
  users: readonly { id: string; upstream: string }[];
  usersDir: string;
  relayUpstream: string;
  adminToken: string;
  proxyTimeout?: string;
}): WorkshopNginxOptions & { port: number } {
  return {
    port: p.port,
    listen: `127.0.0.1:${p.port}`,
    serverName: 'localhost',
    users: p.users.map((u) => ({
      id: u.id,
      upstream: u.upstream,
      htpasswdFile: join(p.usersDir, 'htpasswd', u.id),
    })),
    relayUpstream: p.relayUpstream,
    adminHtpasswdFile: join(p.usersDir, 'htpasswd', 'admin'),
    adminToken: p.adminToken,
    proxyTimeout: p.proxyTimeout,
  };
}
