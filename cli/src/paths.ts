/** @fileoverview Paths inside the checkout, found from this file so the CLI works from any cwd. */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const repoRoot: string = fileURLToPath(new URL('../..', import.meta.url));

export function repoPath(...parts: string[]): string {
  return join(repoRoot, ...parts);
}

/** The CLI entry, for spawning the product's own commands as child processes. */
export const cliBin: string = repoPath('bin', 'comfyume.js');
