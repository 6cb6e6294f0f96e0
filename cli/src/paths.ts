/** @fileoverview Paths inside the checkout, found from this file so the CLI works from any cwd. */
import { realpathSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot: string = fileURLToPath(new URL('../..', import.meta.url));

export function repoPath(...parts: string[]): string {
  return join(repoRoot, ...parts);
}

/** The CLI entry, for spawning the product's own commands as child processes. */
export const cliBin: string = repoPath('bin', 'comfyume.js');

/**
 * How to type this CLI from any folder: `comfyume` when the command on PATH is this checkout's
 * (scripts/setup.sh links it), else `node /abs/path/bin/comfyume.js`.
 */
export function cliCommand(env: NodeJS.ProcessEnv = process.env): string {
  const mine = realpathOrUndefined(cliBin);
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const found = realpathOrUndefined(join(dir, 'comfyume'));
    if (found) return found === mine ? 'comfyume' : `node ${cliBin}`;
  }
  return `node ${cliBin}`;
}

function realpathOrUndefined(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}
