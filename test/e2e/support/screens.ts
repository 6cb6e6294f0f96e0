/** @fileoverview Where e2e screenshots go: `$SCREENS_DIR`, else /work/screens when it exists (outside the repo). */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';

const dir = process.env.SCREENS_DIR ?? (existsSync('/work/screens') ? '/work/screens' : undefined);
if (dir) mkdirSync(dir, { recursive: true });

/** The path for a screenshot, or undefined when screenshots are not kept. */
export const screenPath = (name: string): string | undefined =>
  dir ? path.join(dir, `${name}.png`) : undefined;
