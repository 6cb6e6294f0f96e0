// @fileoverview How a sidecar process starts. Which code `comfyume sidecar` runs: the one-file build dist/sidecar/sidecar.cjs
// (cli/sidecar.vite.config.ts, part of `npm run build`) when it is at least as new as every file
// it was built from (its sources.json), else none, and why: bin/comfyume.js then runs the
// TypeScript sources through tsx. A stale build is never run, so an edit to the sidecar takes
// effect without a build step, as everywhere else in the checkout. `comfyume up` and the memory
// bench build it first when it is missing or stale. And the node flags and allocator settings its
// starters give it (`up`, the bench, docker/attendee-start.sh), which only work from outside the
// process. Plain JavaScript: it runs before tsx is registered.
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * 1 MB young-generation semi-spaces: a sidecar allocates little per request (bodies stream) and
 * the default grows the young generation to 16 MB ones. v8.setFlagsFromString in the process
 * comes too late for a heap that is already configured, so the flag goes on node's command line.
 */
export const sidecarNodeFlags = ['--max-semi-space-size=1'];

/**
 * glibc's allocator: at most two arenas (the default gives each of V8's and libuv's threads its
 * own, whose freed pages stay resident): ~3–5 MB less RSS under 100 sockets and 20 jobs. Not a
 * low MALLOC_TRIM_THRESHOLD_ too: it saved ~3 MB more but halved /view throughput (every freed
 * read buffer went back to the kernel), measured with `comfyume bench --only view,memory`.
 */
export const sidecarNodeEnv = { MALLOC_ARENA_MAX: '2' };

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
