/**
 * @fileoverview Builds the operator dashboard (`relay/src/admin/ui/`) into `dist/admin/`, which
 * the relay serves at `/admin/` (serve.ts). Relative asset URLs (`base: './'`) keep it working
 * behind a reverse-proxy prefix; hashed file names under `assets/` are cached for a year.
 *
 *   npx vite build --config relay/src/admin/vite.config.ts
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('./ui'),
  base: './',
  publicDir: false,
  logLevel: 'warn',
  // Always Lit's production build, even when NODE_ENV is "test" (builds started from vitest).
  resolve: { conditions: ['module', 'browser', 'production'] },
  build: {
    outDir: here('../../../dist/admin'),
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: false,
    sourcemap: false,
    assetsDir: 'assets',
  },
});
