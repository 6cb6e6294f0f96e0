/**
 * @fileoverview `comfyume users --count 20 [--out ./data/users] [--domain host]`: credentials,
 * relay tokens, nginx config and compose services for a workshop (see users/generate.ts).
 */
import { join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { intFlag, parseCommandArgs, UsageError } from '../args';
import { workshopHome } from '../home';
import { ensureEnvSecrets, setEnvValues } from '../env-file';
import { EnvSchema as RelayEnvSchema } from '../../../relay/src/config';
import { repoPath } from '../paths';
import { generateUsers } from '../users/generate';

const help = `Usage: comfyume users [options]

Writes, under --out: htpasswd/<user> (one user per file) and htpasswd/admin, env/<user>.env
(USER_ID, RELAY_TOKEN), users.csv and credentials.txt (for the organiser, keep private),
nginx/comfyume.conf and compose.users.yaml (for docker/compose.yaml). RELAY_SECRET and
ADMIN_TOKEN are taken from the environment or the workshop's .env (<home>/.env: $COMFYUME_HOME,
else this checkout), and generated into it when absent.
Existing passwords in --out/users.csv are kept unless --rotate.

Options:
  --count <n>       number of attendees (default 20)
  --out <dir>       output folder (default <home>/data/users)
  --domain <host>   public host name (URLs become https://<host>/userNNN/)
  --port <n>        port in the printed local URLs when no --domain (default 8080)
  --rotate          new passwords for everyone
  --prewarm-schedule <ranges>  keep serverless GPUs warm then, local time of the relay, e.g.
                    09:50-12:00,13:20-16:30 (written to .env as PREWARM_SCHEDULE, which
                    docker/compose.yaml passes to the relay; "" clears it)
  --prewarm-interval <s>  seconds between warm-up prompts, just under the provider's
                    scale-down delay (PREWARM_INTERVAL_S, default 240)
  --workflows <dir> the instructor's workflow .json files, mounted read-only into the relay: every
                    attendee's Workflows sidebar lists them (WORKSHOP_DEFAULT_WORKFLOW in .env
                    names the one opened on a first visit)
  -h, --help`;

/** The schedule flags as .env values, checked with the relay's own schema (its error words). */
export function prewarmEnvValues(flags: {
  schedule?: string;
  interval?: string;
}): Record<string, string> {
  const shape = RelayEnvSchema.innerType().shape;
  const values: Record<string, string> = {};
  if (flags.schedule !== undefined) {
    const parsed = shape.PREWARM_SCHEDULE.safeParse(flags.schedule);
    if (!parsed.success)
      throw new Error(
        `--prewarm-schedule: ${parsed.error.issues.map((i) => i.message).join('; ')}`,
      );
    values.PREWARM_SCHEDULE = parsed.data.map((r) => r.text).join(',');
  }
  if (flags.interval !== undefined) {
    const parsed = shape.PREWARM_INTERVAL_S.safeParse(flags.interval);
    if (!parsed.success)
      throw new Error('--prewarm-interval: a whole number of seconds, at least 1');
    values.PREWARM_INTERVAL_S = String(parsed.data);
  }
  return values;
}

export async function main(args: string[]): Promise<void> {
  const home = workshopHome();
  const { values } = parseCommandArgs('users', {
    args,
    options: {
      count: { type: 'string', default: '20' },
      out: { type: 'string', default: join(home.dataDir, 'users') },
      domain: { type: 'string' },
      port: { type: 'string', default: '8080' },
      rotate: { type: 'boolean', default: false },
      'prewarm-schedule': { type: 'string' },
      'prewarm-interval': { type: 'string' },
      workflows: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(help);
    return;
  }
  const count = intFlag('count', values.count, 1, 999);
  const localPort = intFlag('port', values.port, 1, 65535);

  const envFile = home.envFile;
  const prewarm = prewarmEnvValues({
    schedule: values['prewarm-schedule'],
    interval: values['prewarm-interval'],
  });
  if (Object.keys(prewarm).length) {
    await setEnvValues(envFile, prewarm);
    console.log(`warm-up settings written into ${envFile}: ${JSON.stringify(prewarm)}`);
  }
  const { values: secrets, generated } = await ensureEnvSecrets(envFile, [
    'RELAY_SECRET',
    'ADMIN_TOKEN',
  ]);
  const outDir = resolve(values.out);
  const workflowsDir = values.workflows ? resolve(values.workflows) : undefined;
  if (workflowsDir && !existsSync(workflowsDir))
    throw new UsageError(
      `--workflows: ${workflowsDir} does not exist (a folder of workflow .json files)`,
    );
  const result = await generateUsers({
    count,
    outDir,
    dockerDir: repoPath('docker'),
    relaySecret: secrets.RELAY_SECRET!,
    adminToken: secrets.ADMIN_TOKEN!,
    domain: values.domain,
    localPort,
    rotate: values.rotate,
    workflowsDir,
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
  if (workflowsDir)
    console.log(`  workshop workflows:            ${workflowsDir} (mounted into the relay)`);
}
