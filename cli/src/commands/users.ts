/**
 * @fileoverview `comfyume users --count 20 [--out ./data/users] [--domain host]`: credentials,
 * relay tokens, nginx config and compose services for a workshop (see users/generate.ts).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureEnvSecrets } from '../env-file';
import { repoPath } from '../paths';
import { generateUsers } from '../users/generate';

const help = `Usage: comfyume users [options]

Writes, under --out: htpasswd/<user> (one user per file) and htpasswd/admin, env/<user>.env
(USER_ID, RELAY_TOKEN), users.csv and credentials.txt (for the organiser, keep private),
nginx/comfyume.conf and compose.users.yaml (for docker/compose.yaml). RELAY_SECRET and
ADMIN_TOKEN are taken from the environment or --dotenv (not --env-file: Node 20 takes that flag for itself), and generated into it when absent.
Existing passwords in --out/users.csv are kept unless --rotate.

Options:
  --count <n>       number of attendees (default 20)
  --out <dir>       output folder (default ./data/users)
  --domain <host>   public host name (URLs become https://<host>/userNNN/)
  --port <n>        port in the printed local URLs when no --domain (default 8080)
  --dotenv <file>   env file holding RELAY_SECRET and ADMIN_TOKEN (default ./.env)
  --rotate          new passwords for everyone
  -h, --help`;

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      count: { type: 'string', default: '20' },
      out: { type: 'string', default: './data/users' },
      domain: { type: 'string' },
      port: { type: 'string', default: '8080' },
      dotenv: { type: 'string', default: './.env' },
      rotate: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(help);
    return;
  }
  const count = Number(values.count);
  const localPort = Number(values.port);
  if (!Number.isInteger(count) || count < 1 || count > 999)
    throw new Error(`--count must be an integer 1..999, got "${values.count}"`);
  if (!Number.isInteger(localPort) || localPort < 1 || localPort > 65535)
    throw new Error(`--port must be a port number, got "${values.port}"`);

  const envFile = resolve(values.dotenv);
  const { values: secrets, generated } = await ensureEnvSecrets(envFile, [
    'RELAY_SECRET',
    'ADMIN_TOKEN',
  ]);
  const outDir = resolve(values.out);
  const result = await generateUsers({
    count,
    outDir,
    dockerDir: repoPath('docker'),
    relaySecret: secrets.RELAY_SECRET!,
    adminToken: secrets.ADMIN_TOKEN!,
    domain: values.domain,
    localPort,
    rotate: values.rotate,
  });
  if (generated.length) console.log(`generated ${generated.join(', ')} into ${envFile}`);
  console.log(
    `${result.users.length} users + admin written to ${outDir} (passwords hashed with ${result.hasher})`,
  );
  console.log(
    `  credentials for the organiser: ${resolve(outDir, 'credentials.txt')}, ${resolve(outDir, 'users.csv')}`,
  );
  console.log(`  nginx config:                  ${resolve(outDir, 'nginx/comfyume.conf')}`);
  console.log(`  compose services:              ${resolve(outDir, 'compose.users.yaml')}`);
  console.log(`  admin dashboard:               ${result.admin.url}`);
}
