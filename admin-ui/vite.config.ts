/**
 * @fileoverview Builds the operator dashboard (`admin-ui/src/`) into `dist/admin/`, which the
 * relay serves at `/admin/` (relay/src/admin/serve.ts). Relative asset URLs (`base: './'`) keep it working
 * behind a reverse-proxy prefix; hashed file names under `assets/` are cached for a year.
 *
 *   npx vite build --config admin-ui/vite.config.ts
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('./src'),
  base: './',
  publicDir: false,
  logLevel: 'warn',
  // Always Lit's production build, even when NODE_ENV is "test" (builds started from vitest).
  resolve: { conditions: ['module', 'browser', 'production'] },
  build: {
    outDir: here('../dist/admin'),
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: false,
    sourcemap: false,
    assetsDir: 'assets',
  },
});
