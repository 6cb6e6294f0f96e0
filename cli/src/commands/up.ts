/**
 * @fileoverview `comfyume up`: a whole workshop on this machine (Redis, simulated or real GPU,
 * relay, N attendees, nginx). Prints every URL and credential, stops everything on Ctrl-C.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { config as loadDotenv } from 'dotenv';
import { ensureEnvSecrets } from '../env-file';
import { repoPath } from '../paths';
import { frontendNote, sniffFrontendVersion, type ServedFrontend } from '../stack/frontend-note';
import { findNginx } from '../stack/nginx';
import { prepareWorkshopUi } from '../stack/workshop-ui';
import { startStack, type Stack } from '../stack/stack';
import { removeStackFile, writeStackFile } from '../stack/stack-file';
import { parseUpConfig, type UpConfig } from '../stack/up-config';
import { generateUsers } from '../users/generate';

const help = `Usage: comfyume up [options]

Runs a whole workshop on this machine: Redis (when REDIS_URL is unset; data in <data>/redis),
the relay, N attendees (each a ComfyUI — the simulator unless --comfyui is given — plus its
sidecar), the GPU (simulated unless .env configures SERVERLESS_ENDPOINT or COMFYUI_GPU_URLS) and
nginx in front (/userNNN/ and /admin/ with passwords) when nginx is installed. Ctrl-C stops it all.

Options:
  --users <n>             attendees (default 3)
  --port <n>              nginx port (default 8080)
  --no-nginx              no nginx: use the printed sidecar URLs directly
  --data-dir <dir>        state, logs, credentials (default ./data)
  --dotenv <file>         settings and secrets (default ./.env; RELAY_SECRET/ADMIN_TOKEN generated into it)
  --comfyui <urls>        real attendee ComfyUI URLs, comma-separated, in user order
  --step-ms <n>           simulated step time (default 100)
  --cold-start-ms <n>     simulated GPU cold start (default 0)
  --replicas <k>          simulated GPU replicas behind one endpoint (default 2)
  --simulated-via <mode>  serverless (load-balanced + shared folder, default) or direct
  --host <addr>           address every service binds to (default 127.0.0.1)
  --relay-port <n>        relay port (default: any free port)
  --web-root <dir>        a ComfyUI frontend build for the simulated attendee ComfyUIs to serve at /
                          (our extension, dist/comfyume-extension from "npx vite build", is served when built)
  --verbose               show every process's log lines (always in <data>/logs/)
  -h, --help`;

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) => `  ${r.map((c, i) => c.padEnd(widths[i]!)).join('   ')}`.trimEnd())
    .join('\n');
}

function announce(
  config: UpConfig,
  stack: Stack,
  admin: { password: string },
  adminToken: string,
  served: ServedFrontend,
): string {
  const gpu =
    config.gpu === 'simulated'
      ? `simulated (${config.simulatorReplicas} replica(s) at ${stack.gpuUrl}, reached as ${config.simulatedVia})`
      : config.gpu;
  const rows = [['who', 'open', 'user', 'password']];
  for (const a of stack.attendees)
    rows.push([
      a.id,
      a.nginxUrl ?? a.sidecarUrl + '/',
      stack.nginxUrl ? a.id : '(none)',
      stack.nginxUrl ? a.password : '',
    ]);
  if (stack.nginxUrl) rows.push(['admin', `${stack.nginxUrl}/admin/`, 'admin', admin.password]);
  const simulatedUi = stack.attendees.filter((_, i) => !config.attendeeComfyUrls[i]).length;
  return [
    '',
    `ComfyuME workshop is up: ${stack.attendees.length} attendee(s), GPU ${gpu}`,
    '',
    table(rows),
    '',
    `  relay      ${stack.relayUrl}  (API: Authorization: Bearer <ADMIN_TOKEN>, ${adminToken.slice(0, 4)}… in the env file)`,
    ...(stack.nginxUrl
      ? [
          `  sidecars   ${stack.attendees.map((a) => `${a.id} ${a.sidecarUrl}`).join(', ')} (no auth, this machine only)`,
        ]
      : []),
    `  redis      ${stack.redisUrl}`,
    `  logs       ${relative(process.cwd(), join(config.dataDir, 'logs')) || '.'}/`,
    ...frontendNote(simulatedUi, served, existsSync(repoPath('dist', 'comfyume-extension', 'web'))),
    '',
    'Press Ctrl-C to stop.',
  ].join('\n');
}

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      users: { type: 'string', default: '3' },
      port: { type: 'string', default: '8080' },
      'no-nginx': { type: 'boolean', default: false },
      'data-dir': { type: 'string', default: './data' },
      dotenv: { type: 'string', default: './.env' },
      comfyui: { type: 'string' },
      'step-ms': { type: 'string', default: '100' },
      'cold-start-ms': { type: 'string', default: '0' },
      replicas: { type: 'string', default: '2' },
      'simulated-via': { type: 'string', default: 'serverless' },
      host: { type: 'string', default: '127.0.0.1' },
      'relay-port': { type: 'string', default: '0' },
      'web-root': { type: 'string' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(help);
    return;
  }
  const envFile = resolve(values.dotenv);
  loadDotenv({ path: envFile, quiet: true });
  const wantNginx = !values['no-nginx'];
  let config = parseUpConfig(
    {
      users: values.users,
      nginx: wantNginx && findNginx() !== undefined,
      port: values.port,
      dataDir: values['data-dir'],
      host: values.host,
      stepMs: values['step-ms'],
      coldStartMs: values['cold-start-ms'],
      replicas: values.replicas,
      simulatedVia: values['simulated-via'],
      comfyui: values.comfyui,
      relayPort: values['relay-port'],
      webRoot: values['web-root'],
      verbose: values.verbose,
    },
    process.env,
  );
  if (wantNginx && !config.nginx)
    console.log(
      'nginx is not installed: attendees are served by their sidecars directly (apt-get install nginx-light)',
    );

  const { values: secrets, generated } = await ensureEnvSecrets(envFile, [
    'RELAY_SECRET',
    'ADMIN_TOKEN',
  ]);
  if (generated.length) console.log(`generated ${generated.join(', ')} into ${envFile}`);
  await mkdir(join(config.dataDir, 'up'), { recursive: true });
  const usersDir = join(config.dataDir, 'users');
  const creds = await generateUsers({
    count: config.users,
    outDir: usersDir,
    dockerDir: repoPath('docker'),
    relaySecret: secrets.RELAY_SECRET!,
    adminToken: secrets.ADMIN_TOKEN!,
    localPort: config.nginxPort,
  });

  // Decided before the harness may become the web root: only a build the organiser gave is "theirs".
  const served: ServedFrontend = config.webRoot
    ? { kind: 'build', dir: config.webRoot, version: await sniffFrontendVersion(config.webRoot) }
    : { kind: 'harness' };
  if (!config.webRoot && config.attendeeComfyUrls.length < config.users) {
    config = { ...config, webRoot: await prepareWorkshopUi(config.dataDir, (m) => console.log(`… ${m}`)) };
  }
  const stack = await startStack({
    config,
    relaySecret: secrets.RELAY_SECRET!,
    adminToken: secrets.ADMIN_TOKEN!,
    users: creds.users,
    usersDir,
    onStep: (message) => console.log(`… ${message}`),
  });
  await writeStackFile(config.dataDir, {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    relayUrl: stack.relayUrl,
    redisUrl: stack.redisUrl,
    nginxUrl: stack.nginxUrl,
    admin: { user: 'admin', password: creds.admin.password, token: secrets.ADMIN_TOKEN! },
    attendees: stack.attendees,
    processes: stack.processes.map((p) => ({ name: p.name, pid: p.pid })),
  });
  console.log(announce(config, stack, creds.admin, secrets.ADMIN_TOKEN!, served));

  const reason = await new Promise<string>((resolveReason) => {
    process.once('SIGINT', () => resolveReason('SIGINT'));
    process.once('SIGTERM', () => resolveReason('SIGTERM'));
    void stack.firstExit.then((proc) =>
      resolveReason(`${proc.name} exited unexpectedly:\n${proc.tail()}`),
    );
  });
  console.log(`\nstopping (${reason}) …`);
  await stack.stop();
  await removeStackFile(config.dataDir);
  console.log('stopped.');
  if (reason !== 'SIGINT' && reason !== 'SIGTERM') process.exitCode = 1;
}
