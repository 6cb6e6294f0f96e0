#!/usr/bin/env node
// The comfyume CLI. Sources are TypeScript run through tsx's loader, so there is no build step
// between a checkout and a running workshop.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../cli/src/main.ts');
await runCli(process.argv.slice(2));
