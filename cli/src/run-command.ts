/**
 * @fileoverview Runs one `comfyume` command the way every command runs: the workshop home's .env
 * first when it reads settings, then its module's `main`, with config and usage errors printed as
 * one line for a person. Shared by cli/src/main.ts and the sidecar's one-file build
 * (cli/src/sidecar-entry.ts), which runs the same command without the others.
 */
import { UsageError } from './args';
import { loadHomeEnv, workshopHome } from './home';

export type CommandModule = { main: (args: string[]) => Promise<void> };

export type Command = {
  summary: string;
  /** Reads the workshop's .env before it runs (self-contained rigs like bench and simulate do not). */
  readsEnv: boolean;
  load: () => Promise<CommandModule>;
};

export async function runCommand(name: string, command: Command, args: string[]): Promise<void> {
  try {
    if (command.readsEnv) loadHomeEnv(workshopHome());
    const module = await command.load();
    await module.main(args);
  } catch (error) {
    // Config and usage errors carry a message meant for a person; print it without a stack.
    const message = error instanceof Error ? error.message : String(error);
    console.error(`comfyume ${name}: ${message}`);
    process.exitCode = process.exitCode || (error instanceof UsageError ? 2 : 1);
  }
}
