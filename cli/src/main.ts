/**
 * @fileoverview The `comfyume` command: one entry point, one lazily loaded module per subcommand,
 * so `comfyume token` does not load the relay and `comfyume simulate` does not load Redis.
 * Commands that read settings get the workshop home's .env first (see home.ts).
 */
import { workshopHome } from './home';
import { runCommand, type Command } from './run-command';
import { sidecarCommand } from './sidecar-command';

const commands: Record<string, Command> = {
  up: {
    summary: 'run a whole workshop on this machine (Redis, relay, sidecars, GPU, nginx)',
    readsEnv: true,
    load: () => import('./commands/up'),
  },
  submit: {
    summary: 'queue a workflow through an attendee sidecar and save its outputs',
    readsEnv: true,
    load: () => import('./commands/submit'),
  },
  rehearse: {
    summary: 'simulated attendees submit concurrently; prints a wait/run-time report',
    readsEnv: true,
    load: () => import('./commands/rehearse'),
  },
  users: {
    summary: 'generate per-user passwords, tokens, nginx config and compose services',
    readsEnv: true,
    load: () => import('./commands/users'),
  },
  token: {
    summary:
      "print a user's relay token (from RELAY_SECRET in the workshop's .env), or --revoke a user's tokens",
    readsEnv: true,
    load: () => import('./commands/token'),
  },
  workflows: {
    summary:
      "publish a workflow to every attendee's Workflows sidebar, live (workflows publish <file>)",
    readsEnv: true,
    load: () => import('./commands/workflows'),
  },
  say: {
    summary: "show a line of text on every attendee's page",
    readsEnv: true,
    load: () => import('./commands/say'),
  },
  relay: {
    summary: 'run the relay (job queue, GPU backends, event hub)',
    readsEnv: true,
    load: () => import('../../relay/src/main'),
  },
  sidecar: { ...sidecarCommand, load: () => import('../../sidecar/src/main') },
  worker: {
    summary: 'join a GPU box to a workshop: works for the relay beside its ComfyUI, connecting out',
    readsEnv: true,
    load: () => import('../../worker/src/main'),
  },
  simulate: {
    summary:
      'run the ComfyUI simulator (a simulated GPU; --replicas k for a load-balanced endpoint)',
    readsEnv: false,
    load: () => import('../../simulator/src/main'),
  },
  bench: {
    summary: 'measure what the platform adds, as ratios against stock ComfyUI doing the same work',
    readsEnv: false,
    load: () => import('./commands/bench'),
  },
  env: {
    summary:
      'print every setting (the .env.example text, from the config schemas); --write updates .env.example',
    readsEnv: false,
    load: () => import('./commands/env'),
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const lines = Object.entries(commands).map(
    ([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`,
  );
  const home = workshopHome();
  return [
    'Usage: comfyume <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Every command works on one workshop home: $COMFYUME_HOME if set, else this checkout',
    `(now ${home.dir}). Settings and secrets: <home>/.env (the environment wins over it);`,
    'state, logs and credentials: <home>/data/. So any command works from any folder.',
    '',
    'comfyume <command> --help shows its options.',
  ].join('\n');
}

export async function runCli(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return;
  }
  const command = commands[name];
  if (!command) {
    console.error(`comfyume: unknown command "${name}"\n\n${usage()}`);
    process.exitCode = 2;
    return;
  }
  await runCommand(name, command, rest);
}
