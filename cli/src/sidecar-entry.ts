/**
 * @fileoverview How `bin/comfyume.js sidecar` starts an attendee's sidecar: `comfyume sidecar`
 * exactly as the CLI runs it (the workshop's .env, errors as one line), without the CLI's other
 * commands. It is the entry of the sidecar's one-file build (`dist/sidecar/sidecar.cjs`,
 * cli/sidecar.vite.config.ts), so a running sidecar holds only its own code and no TypeScript
 * transform; without a fresh build, bin/comfyume.js loads it through tsx instead. The sidecar is
 * imported statically: tsx's CommonJS hook does not resolve a dynamic import() of TypeScript.
 */
import * as sidecar from '../../sidecar/src/main';
import { runCommand } from './run-command';
import { sidecarCommand } from './sidecar-command';

export function runSidecar(args: string[]): Promise<void> {
  return runCommand('sidecar', { ...sidecarCommand, load: async () => sidecar }, args);
}
