#!/usr/bin/env node
// The comfyume CLI. Sources are TypeScript run through tsx's loader, so there is no build step
// between a checkout and a running workshop.
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';

const argv = process.argv.slice(2);
if (argv[0] === 'sidecar') {
  // The sidecar runs once per attendee, so its memory counts: it loads through tsx's in-thread
  // CommonJS hook, because the ESM loader's hooks run on a thread of their own (a second V8
  // isolate, ~30 MB RSS). Its sources need no top-level await; ESM-only packages load through
  // Node's require(esm). Its young generation is capped at 1 MB semi-spaces: it allocates little
  // per request (bodies stream), and the default lets idle RSS grow by ~15 MB.
  setFlagsFromString('--max-semi-space-size=1');
  const { register } = await import('tsx/cjs/api');
  register();
  const require = createRequire(import.meta.url);
  const { runCli } = require('../cli/src/main.ts');
  await runCli(argv, { sidecar: async () => require('../sidecar/src/main.ts') });
} else {
  const { register } = await import('tsx/esm/api');
  register();
  const { runCli } = await import('../cli/src/main.ts');
  await runCli(argv);
}
