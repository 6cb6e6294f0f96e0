/**
 * @fileoverview `comfyume sidecar` as a command: its line in `comfyume --help` and how it runs.
 * Shared by the CLI's command table (cli/src/main.ts) and the sidecar's own entry
 * (cli/src/sidecar-entry.ts), which loads the sidecar statically.
 */
import type { Command } from './run-command';

export const sidecarCommand = {
  summary: "run an attendee's sidecar in front of their ComfyUI",
  readsEnv: true,
} satisfies Omit<Command, 'load'>;
