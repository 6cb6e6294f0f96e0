/**
 * @fileoverview `comfyume users`: writes a users folder an organiser can deploy and hand out —
 * per-user htpasswd files, relay tokens (in per-user env files), an admin credential, users.csv,
 * credentials.txt, the nginx config and compose.users.yaml. Existing passwords are kept on re-runs
 * (unless rotated) so printed credential slips stay valid.
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderComposeUsers } from './compose-users';
import { mintUserToken } from '../../../kit/user-token';
import { defaultHasher, randomPassword, type Hasher } from './credentials';
import { renderWorkshopConf, type WorkshopNginxOptions } from './nginx-config';

export type WorkshopUser = { id: string; password: string; token: string; url: string };

export type GenerateUsersOptions = {
  count: number;
  outDir: string;
  dockerDir: string;
  relaySecret: string;
  adminToken: string;
  /** Public host name; URLs are https://<domain>/userNNN/ when set, else http://localhost:<port>/. */
  domain?: string;
  localPort?: number;
  rotate?: boolean;
  hasher?: Hasher;
  /** The instructor's workflows folder, mounted into the relay (compose.users.yaml). */
  workflowsDir?: string;
};

export type GeneratedUsers = {
  users: WorkshopUser[];
  admin: { user: 'admin'; password: string; url: string };
  hasher: Hasher['name'];
  files: string[];
};

export const userId = (n: number): string => `user${String(n).padStart(3, '0')}`;

/** id → password from a previous users.csv (header `user,password,url`). */
export async function readExistingPasswords(outDir: string): Promise<Map<string, string>> {
  const passwords = new Map<string, string>();
  let text: string;
  try {
    text = await readFile(join(outDir, 'users.csv'), 'utf8');
  } catch {
    return passwords;
  }
  for (const line of text.split('\n').slice(1)) {
    const [id, password] = line.split(',');
    if (id && password) passwords.set(id, password);
  }
  return passwords;
}

export function baseUrl(opts: { domain?: string; localPort?: number }): string {
  return opts.domain ? `https://${opts.domain}` : `http://localhost:${opts.localPort ?? 8080}`;
}

/** The nginx config for the docker deployment: service names and /etc/nginx paths. */
export function dockerNginxOptions(
  users: readonly WorkshopUser[],
  opts: GenerateUsersOptions,
): WorkshopNginxOptions {
  return {
    listen: 80,
    serverName: opts.domain ?? '_',
    users: users.map((user) => ({
      id: user.id,
      upstream: `${user.id}:8188`,
      htpasswdFile: `/etc/nginx/htpasswd/${user.id}`,
    })),
    relayUpstream: 'relay:3000',
    adminHtpasswdFile: '/etc/nginx/htpasswd/admin',
    adminToken: opts.adminToken,
  };
}

function credentialsText(users: readonly WorkshopUser[], admin: GeneratedUsers['admin']): string {
  const slips = users.map((user) =>
    [
      '-'.repeat(60),
      `ComfyuME workshop — ${user.id}`,
      `  open:     ${user.url}`,
      `  user:     ${user.id}`,
      `  password: ${user.password}`,
    ].join('\n'),
  );
  return [
    `ORGANISER ONLY — admin dashboard ${admin.url}  user: admin  password: ${admin.password}`,
    '',
    'Cut along the lines and hand one slip to each attendee.',
    ...slips,
    '-'.repeat(60),
    '',
  ].join('\n');
}

export async function generateUsers(opts: GenerateUsersOptions): Promise<GeneratedUsers> {
  if (!Number.isInteger(opts.count) || opts.count < 1 || opts.count > 999)
    throw new Error('--count must be 1..999');
  const hasher = opts.hasher ?? (await defaultHasher());
  const previous = opts.rotate
    ? new Map<string, string>()
    : await readExistingPasswords(opts.outDir);
  const base = baseUrl(opts);
  const users: WorkshopUser[] = Array.from({ length: opts.count }, (_, i) => {
    const id = userId(i + 1);
    return {
      id,
      password: previous.get(id) ?? randomPassword(),
      token: mintUserToken(opts.relaySecret, id),
      url: `${base}/${id}/`,
    };
  });
  const admin = {
    user: 'admin' as const,
    password: previous.get('admin') ?? randomPassword(20),
    url: `${base}/admin/`,
  };

  const dirs = ['htpasswd', 'env', 'nginx'].map((d) => join(opts.outDir, d));
  for (const dir of [opts.outDir, ...dirs]) await mkdir(dir, { recursive: true });
  const files: string[] = [];
  // htpasswd files hold hashes only and are read by nginx's unprivileged workers: 0644.
  // Everything holding a password or token is 0600.
  const write = async (rel: string, content: string, mode: number) => {
    const path = join(opts.outDir, rel);
    await writeFile(path, content, { mode });
    await chmod(path, mode);
    files.push(rel);
  };

  for (const user of users) {
    await write(`htpasswd/${user.id}`, `${await hasher.hash(user.id, user.password)}\n`, 0o644);
    await write(`env/${user.id}.env`, `USER_ID=${user.id}\nRELAY_TOKEN=${user.token}\n`, 0o600);
  }
  await write('htpasswd/admin', `${await hasher.hash('admin', admin.password)}\n`, 0o644);
  const csv = [
    'user,password,url',
    ...users.map((u) => `${u.id},${u.password},${u.url}`),
    `admin,${admin.password},${admin.url}`,
  ];
  await write('users.csv', `${csv.join('\n')}\n`, 0o600);
  await write('credentials.txt', credentialsText(users, admin), 0o600);
  // The config carries the admin Bearer token for the relay, so it is a secret too.
  await write('nginx/comfyume.conf', renderWorkshopConf(dockerNginxOptions(users, opts)), 0o600);
  await write(
    'compose.users.yaml',
    await renderComposeUsers({
      userIds: users.map((u) => u.id),
      dockerDir: opts.dockerDir,
      outDir: opts.outDir,
      workflowsDir: opts.workflowsDir,
    }),
    0o644,
  );
  return { users, admin, hasher: hasher.name, files };
}
