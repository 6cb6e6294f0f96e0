// @fileoverview Which code `comfyume sidecar` runs: the one-file build dist/sidecar/sidecar.cjs
// (cli/sidecar.vite.config.ts, part of `npm run build`) when it is at least as new as every file
// it was built from (its sources.json), else none, and why: bin/comfyume.js then runs the
// TypeScript sources through tsx. A stale build is never run, so an edit to the sidecar takes
// effect without a build step, as everywhere else in the checkout. `comfyume up` and the memory
// bench build it first when it is missing or stale. Plain JavaScript: it runs before tsx is registered.
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const checkout = dirname(dirname(fileURLToPath(import.meta.url)));

/**
 * @param {string} root the checkout (a test gives another)
 * @returns {{ file: string } | { file?: undefined, why: string }}
 */
export function freshSidecarBundle(root = checkout) {
  const dir = join(root, 'dist', 'sidecar');
  const file = join(dir, 'sidecar.cjs');
  let builtAt;
  let sources;
  try {
    builtAt = statSync(file).mtimeMs;
    sources = JSON.parse(readFileSync(join(dir, 'sources.json'), 'utf8')).sources;
  } catch {
    return { why: 'no sidecar build in dist/sidecar/' };
  }
  for (const source of sources) {
    let changedAt;
    try {
      changedAt = statSync(join(root, source)).mtimeMs;
    } catch {
      return { why: `${source} is gone since the sidecar build` };
    }
    if (changedAt > builtAt) return { why: `${source} changed since the sidecar build` };
  }
  return { file };
}

/**
 * Builds the sidecar unless a fresh build is there (Vite, a dev dependency: for a checkout, not
 * an image). A failed build is not fatal: the sidecar then runs from its sources.
 * @param {(line: string) => void} log told before a build starts
 * @returns {Promise<string>} what happened, in a few words
 */
export async function ensureSidecarBundle(log) {
  const fresh = freshSidecarBundle();
  if (!fresh.why) return 'sidecar build is up to date';
  log(`building the sidecar (${fresh.why})`);
  try {
    const { build } = await import('vite');
    await build({
      configFile: join(checkout, 'cli', 'sidecar.vite.config.ts'),
      root: checkout,
      logLevel: 'warn',
    });
    return 'sidecar built';
  } catch (error) {
    return `sidecar build failed (${error instanceof Error ? error.message : String(error)}); sidecars run from their TypeScript sources`;
  }
}
