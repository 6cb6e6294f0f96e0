/**
 * @fileoverview `comfyume up`: a whole workshop on this machine (Redis, simulated or real GPU,
 * relay, N attendees, nginx). Prints every URL and credential, stops everything on Ctrl-C.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCommandArgs, UsageError } from '../args';
import { ensureEnvSecrets } from '../env-file';
import { workshopHome, type WorkshopHome } from '../home';
import { createProgress, type ProgressTask } from '../progress';
import { cliCommand, repoPath } from '../paths';
import { frontendNote, sniffFrontendVersion, type ServedFrontend } from '../stack/frontend-note';
import { findNginx } from '../stack/nginx';
import { assertPortsFree } from '../stack/port-check';
import { findPrometheus } from '../stack/prometheus';
import { verifyPrintedUrls } from '../stack/verify';
import { prepareWorkshopUi } from '../stack/workshop-ui';
import { ensureSidecarBundle } from '../../../bin/sidecar-start.js';
import { startStack, type Stack } from '../stack/stack';
import { readStackFile, removeStackFile, writeStackFile } from '../stack/stack-file';
import { parseUpConfig, type UpConfig } from '../stack/up-config';
import { generateUsers } from '../users/generate';

const help = (home: WorkshopHome) => `Usage: comfyume up [options]

Runs a whole workshop on this machine: Redis (when REDIS_URL is unset; data in <data>/redis),
the relay, N attendees (each a ComfyUI — the simulator unless --comfyui is given — plus its
sidecar), the GPU (simulated unless .env configures SERVERLESS_ENDPOINT or COMFYUI_GPU_URLS) and
nginx in front (/userNNN/ and /admin/ with passwords) when nginx is installed. Every port is
checked before anything starts; the URLs are printed once each of them answers. Ctrl-C stops it all.

The workshop home is ${home.dir}
(${home.source === 'COMFYUME_HOME' ? 'from COMFYUME_HOME' : 'this checkout; set COMFYUME_HOME to use another folder'}): settings and secrets in
<home>/.env (RELAY_SECRET and ADMIN_TOKEN are generated into it), state in <home>/data. Every
comfyume command finds this workshop there, from any folder.

Options:
  --users <n>             attendees (default 3, at most 200)
  --port <n>              nginx port (default 8080)
  --no-nginx              no nginx: use the printed sidecar URLs directly
  --monitoring            also run Prometheus (Debian's prometheus package) scraping the relay
  --prometheus-port <n>   Prometheus port with --monitoring (default 9099)
  --data-dir <dir>        state, logs, credentials (default <home>/data)
  --comfyui <urls>        real attendee ComfyUI URLs, comma-separated, in user order
  --step-ms <n>           simulated step time (default 100)
  --cold-start-ms <n>     simulated GPU cold start (default 0)
  --replicas <k>          simulated GPU replicas behind one endpoint (default 2); with
                          --simulated-via direct, k separate GPUs
  --simulated-via <mode>  serverless (load-balanced + shared folder, default) or direct
  --workers <n>           n simulated GPUs, each joined by a pull worker (comfyume worker)
                          connecting out to the relay (INFERENCE_MODE=workers); default 0
  --host <addr>           address every service binds to (default 127.0.0.1)
  --relay-port <n>        relay port (default: any free port)
  --web-root <dir>        a ComfyUI frontend build for the simulated attendee ComfyUIs to serve at /
                          (our extension, dist/comfyume-extension from "npx vite build", is served when built)
  --workflows <dir>       the instructor's workflow .json files: listed in every attendee's Workflows
                          sidebar (WORKSHOP_WORKFLOWS_DIR; "comfyume workflows publish" adds more live)
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
      ? config.workers > 0
        ? `simulated (${config.workers} GPU(s) at ${stack.gpuUrl?.split(',').join(', ')}, each joined by a pull worker)`
        : config.simulatedVia === 'serverless'
          ? `simulated (${config.simulatorReplicas} replica(s) at ${stack.gpuUrl}, reached as serverless)`
          : `simulated (${config.simulatorReplicas} GPU(s) at ${stack.gpuUrl?.split(',').join(', ')}, reached as direct)`
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
  const cli = cliCommand();
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
    ...(stack.prometheusUrl
      ? [`  prometheus ${stack.prometheusUrl}  (scraping the relay every 5 s)`]
      : []),
    `  logs       ${join(config.dataDir, 'logs')}/`,
    ...frontendNote(simulatedUi, served, existsSync(repoPath('dist', 'comfyume-extension', 'web'))),
    '',
    '  From any folder, in another terminal:',
    `    ${cli} submit --example --user ${stack.attendees[0]?.id ?? 'user001'}   one job through that attendee's sidecar; outputs in ./outputs`,
    `    ${cli} rehearse --jobs 3                   every attendee queues 3 jobs; a report in ./reports`,
    '',
    'Press Ctrl-C to stop.',
  ].join('\n');
}

export async function main(args: string[]): Promise<void> {
  const home = workshopHome();
  const { values } = parseCommandArgs('up', {
    args,
    options: {
      users: { type: 'string', default: '3' },
      port: { type: 'string', default: '8080' },
      'no-nginx': { type: 'boolean', default: false },
      monitoring: { type: 'boolean', default: false },
      'prometheus-port': { type: 'string', default: '9099' },
      'data-dir': { type: 'string', default: home.dataDir },
      comfyui: { type: 'string' },
      'step-ms': { type: 'string', default: '100' },
      'cold-start-ms': { type: 'string', default: '0' },
      replicas: { type: 'string', default: '2' },
      'simulated-via': { type: 'string', default: 'serverless' },
      workers: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      'relay-port': { type: 'string', default: '0' },
      'web-root': { type: 'string' },
      workflows: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(help(home));
    return;
  }
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
      workers: values.workers,
      comfyui: values.comfyui,
      relayPort: values['relay-port'],
      webRoot: values['web-root'],
      workflows: values.workflows,
      verbose: values.verbose,
      monitoring: values.monitoring,
      prometheusPort: values['prometheus-port'],
    },
    process.env,
  );
  const progress = createProgress();
  if (wantNginx && !config.nginx)
    progress.line(
      'nginx is not installed: attendees are served by their sidecars directly (apt-get install nginx-light)',
    );
  if (config.monitoring && !findPrometheus())
    throw new UsageError(
      "--monitoring needs Prometheus: run ./scripts/setup.sh --monitoring (installs Debian's prometheus), or drop --monitoring",
    );

  const existing = await readStackFile(config.dataDir).catch(() => undefined);
  if (existing)
    throw new UsageError(
      `a workshop is already running from ${config.dataDir} (pid ${existing.pid}): stop it with Ctrl-C in its terminal (or kill ${existing.pid}), or give this one another --data-dir`,
    );

  // Every fixed port, before anything starts: a taken one is one line with the fix.
  await assertPortsFree([
    ...(config.nginx
      ? [
          {
            port: config.nginxPort,
            host: '127.0.0.1',
            what: 'nginx (the attendee URLs)',
            flag: '--port',
          },
        ]
      : []),
    { port: config.relayPort, host: config.host, what: 'the relay', flag: '--relay-port' },
    ...(config.monitoring
      ? [
          {
            port: config.prometheusPort,
            host: config.host,
            what: 'Prometheus',
            flag: '--prometheus-port',
          },
        ]
      : []),
  ]);
  const { values: secrets, generated } = await ensureEnvSecrets(home.envFile, [
    'RELAY_SECRET',
    'ADMIN_TOKEN',
  ]);
  if (generated.length) progress.line(`generated ${generated.join(', ')} into ${home.envFile}`);
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
    const task = progress.start('preparing the workshop page');
    const webRoot = await prepareWorkshopUi(config.dataDir, (m) => task.mark(m)).catch(
      (error: Error) => {
        task.fail('could not build the workshop page');
        throw error;
      },
    );
    config = { ...config, webRoot };
    task.succeed('workshop page ready');
  }
  const build = progress.start('preparing the sidecar');
  build.succeed(await ensureSidecarBundle((m) => build.mark(m)));
  let task: ProgressTask | undefined;
  let stack: Stack;
  try {
    stack = await startStack({
      config,
      relaySecret: secrets.RELAY_SECRET!,
      adminToken: secrets.ADMIN_TOKEN!,
      users: creds.users,
      usersDir,
      onStep: (message) => {
        task?.succeed();
        task = progress.start(message);
      },
      onAttendeeReady: (ready, total, id) =>
        task?.count(ready, total, id ? `${id} ready` : undefined),
    });
    task?.succeed();
    task = progress.start('checking every URL answers');
    await verifyPrintedUrls({
      relayUrl: stack.relayUrl,
      nginx: stack.nginxUrl
        ? { url: stack.nginxUrl, attendees: stack.attendees, adminPassword: creds.admin.password }
        : undefined,
      prometheusUrl: stack.prometheusUrl,
    }).catch(async (error: Error) => {
      await stack.stop();
      throw error;
    });
    task.succeed('every URL answers');
  } catch (error) {
    task?.fail();
    throw error;
  }
  await writeStackFile(config.dataDir, {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    relayUrl: stack.relayUrl,
    redisUrl: stack.redisUrl,
    nginxUrl: stack.nginxUrl,
    prometheusUrl: stack.prometheusUrl,
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
