/**
 * @fileoverview The `comfyume` command: one entry point, one lazily loaded module per subcommand,
 * so `comfyume token` does not load the relay and `comfyume simulate` does not load Redis.
 */

type Command = {
  summary: string;
  load: () => Promise<{ main: (args: string[]) => Promise<void> }>;
};

const commands: Record<string, Command> = {
  up: {
    summary: 'run a whole workshop on this machine (Redis, relay, sidecars, GPU, nginx)',
    load: () => import('./commands/up'),
  },
  simulate: {
    summary: 'run the ComfyUI simulator (a simulated GPU; --replicas k for a load-balanced endpoint)',
    load: () => import('../../simulator/src/main'),
  },
  relay: { summary: 'run the relay (job queue, GPU backends, event hub)', load: () => import('../../relay/src/main') },
  sidecar: {
    summary: "run an attendee's sidecar in front of their ComfyUI",
    load: () => import('../../sidecar/src/main'),
  },
  token: { summary: "print a user's relay token (needs RELAY_SECRET)", load: () => import('./commands/token') },
  submit: {
    summary: 'queue a workflow through an attendee sidecar and save its outputs',
    load: () => import('./commands/submit'),
  },
  rehearse: {
    summary: 'simulated attendees submit concurrently; prints a wait/run-time report',
    load: () => import('./commands/rehearse'),
  },
  users: {
    summary: 'generate per-user passwords, tokens, nginx config and compose services',
    load: () => import('./commands/users'),
  },
  bench: {
    summary: 'measure what the platform adds, as ratios against stock ComfyUI doing the same work',
    load: () => import('./commands/bench'),
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const lines = Object.entries(commands).map(
    ([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`,
  );
  return ['Usage: comfyume <command> [options]', '', 'Commands:', ...lines, '', 'comfyume <command> --help shows its options.'].join('\n');
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
  try {
    const module = await command.load();
    await module.main(rest);
  } catch (error) {
    // Config and usage errors carry a message meant for a person; print it without a stack.
    const message = error instanceof Error ? error.message : String(error);
    console.error(`comfyume ${name}: ${message}`);
    process.exitCode = process.exitCode || 1;
  }
}
