#!/usr/bin/env node
// The comfyume CLI. Sources are TypeScript run through tsx's loader, so there is no build step
// between a checkout and a running workshop; only the sidecar also has a build, for its memory.
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import { freshSidecarBundle } from './sidecar-start.js';

const argv = process.argv.slice(2);
if (argv[0] === 'sidecar') {
  // The sidecar runs once per attendee, so its memory counts. Its starters give it node flags and
  // allocator settings (bin/sidecar-start.js); set here too, the semi-space cap only partly holds
  // (the heap is configured by now), for a sidecar started as a bare `node bin/comfyume.js sidecar`.
  setFlagsFromString('--max-semi-space-size=1');
  const require = createRequire(import.meta.url);
  const bundle = freshSidecarBundle();
  if (bundle.file) {
    // One plain CommonJS file (cli/sidecar.vite.config.ts): no TypeScript transform, no loader thread.
    await require(bundle.file).runSidecar(argv.slice(1));
  } else {
    // The sources through tsx's in-thread CommonJS hook (its ESM loader's hooks run on a thread of
    // their own, a second V8 isolate); tsx's esbuild service still costs ~30 MB RSS more.
    sayNoBuild(bundle.why);
    const { register } = await import('tsx/cjs/api');
    register();
    await require('../cli/src/sidecar-entry.ts').runSidecar(argv.slice(1));
  }
} else {
  const { register } = await import('tsx/esm/api');
  register();
  const { runCli } = await import('../cli/src/main.ts');
  await runCli(argv);
}

/** One line in the sidecar's own log format (pino's JSON, level info), unless LOG_LEVEL hides it. */
function sayNoBuild(why) {
  if (['warn', 'error', 'fatal', 'silent'].includes(process.env.LOG_LEVEL ?? '')) return;
  const msg = `${why}: running the sidecar from its TypeScript sources through tsx, which takes ~30 MB more memory; \`npm run build\` builds it`;
  console.error(JSON.stringify({ level: 30, time: Date.now(), svc: 'sidecar', msg }));
}
