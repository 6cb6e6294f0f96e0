/**
 * @fileoverview Builds `extensions/src/` into an installable ComfyUI custom node folder,
 * `dist/comfyume-extension/`: `__init__.py` + `pyproject.toml` + `web/` (WEB_DIRECTORY).
 *
 * ComfyUI imports every `*.js` under `web/` (comfyui-protocol.md §5.1), so the only `.js` file is
 * the entry that registers the extension; the worker is emitted as `.mjs`, which `/extensions`
 * does not list. The host's `/scripts/app.js` and `/scripts/api.js` stay external and are
 * written as RELATIVE imports, so the extension works under a `/userNNN/` prefix (§6).
 */
import { readFileSync } from 'node:fs';
import { defineConfig, type Plugin } from 'vite';

/** The bare ids our sources import the host modules by (typed in extensions/src/shims.d.ts). */
const hostModules: Record<string, string> = {
  'comfyui-host/app': '../../scripts/app.js',
  'comfyui-host/api': '../../scripts/api.js',
};

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const initPy = `"""ComfyuME: status banner and job tracker for ComfyUI workshops (web-only custom node)."""

WEB_DIRECTORY = "./web"
NODE_CLASS_MAPPINGS = {}
NODE_DISPLAY_NAME_MAPPINGS = {}

__all__ = ["WEB_DIRECTORY", "NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS"]
`;

const pyproject = `[project]
name = "comfyume"
description = "Truthful remote-GPU status banner and job tracker for ComfyUI workshops run by ComfyuME."
version = "${pkg.version}"
license = { text = "MIT" }
dependencies = []

[tool.comfy]
PublisherId = "comfyume"
DisplayName = "ComfyuME status banner and job tracker"
Icon = ""
includes = ["web"]
`;

/** Writes the Python side of the custom node next to `web/`. */
function customNodeFiles(): Plugin {
  return {
    name: 'comfyume-custom-node',
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: '__init__.py', source: initPy });
      this.emitFile({ type: 'asset', fileName: 'pyproject.toml', source: pyproject });
    },
  };
}

export default defineConfig({
  base: './',
  publicDir: false,
  logLevel: 'warn',
  plugins: [customNodeFiles()],
  // Always Lit's production build, even when NODE_ENV is "test" (builds started from vitest).
  resolve: { conditions: ['module', 'browser', 'production'] },
  build: {
    outDir: 'dist/comfyume-extension',
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: false,
    reportCompressedSize: false,
    sourcemap: false,
    rolldownOptions: {
      input: { comfyume: 'extensions/src/index.ts' },
      external: Object.keys(hostModules),
      preserveEntrySignatures: false,
      output: {
        format: 'es',
        entryFileNames: 'web/[name].js',
        // One entry file: no shared chunks, so nothing else in web/ ends in .js.
        codeSplitting: false,
        paths: hostModules,
      },
    },
  },
  worker: {
    format: 'es',
    // Hashed: ComfyUI sends no-store only for *.js, so an unhashed .mjs could be served stale after an upgrade.
    rolldownOptions: { output: { entryFileNames: 'web/[name]-[hash].mjs' } },
  },
});
