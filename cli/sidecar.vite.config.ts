/**
 * @fileoverview Builds the sidecar into one plain JavaScript file, `dist/sidecar/sidecar.cjs`
 * (entry cli/src/sidecar-entry.ts, every package inlined), which bin/comfyume.js runs for
 * `comfyume sidecar` when it is fresh. One sidecar runs per attendee, so its memory counts: from
 * the build it starts without tsx's TypeScript transform (esbuild's service thread, a second V8
 * isolate) and with only the code it runs, about 30 MB less RSS. CommonJS, so it loads without an
 * ESM loader thread either. Beside it, `sources.json` lists every file it was built from, which
 * is how bin/sidecar-start.js tells a stale build from a fresh one. The file sits two folders
 * deep like cli/src/paths.ts, whose `import.meta.url` the build turns into the bundle's own path,
 * so the checkout it finds (the workshop home's default) is the same.
 *
 *   npx vite build --config cli/sidecar.vite.config.ts     (part of `npm run build`)
 */
import { isAbsolute, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Writes sources.json: the repo-relative path of each of our files in the bundle, and
 * package-lock.json standing for the packages (their files may live outside the checkout).
 */
function sourceList(): Plugin {
  return {
    name: 'comfyume-sidecar-sources',
    generateBundle(_options, bundle) {
      const ours = Object.values(bundle)
        .flatMap((output) => (output.type === 'chunk' ? output.moduleIds : []))
        .filter((id) => isAbsolute(id) && !id.includes('?'))
        .map((id) => relative(root, id))
        .filter((path) => !path.startsWith('..') && !path.includes('node_modules/'));
      const files = [...ours, 'package-lock.json'].sort();
      this.emitFile({
        type: 'asset',
        fileName: 'sources.json',
        source: `${JSON.stringify({ bundle: 'sidecar.cjs', sources: files }, null, 1)}\n`,
      });
    },
  };
}

/**
 * The bundle's text stays in the sidecar's heap for its whole life (V8 keeps a script's source),
 * so it is kept small: ASCII only, because one non-ASCII character (an arrow in a message) makes
 * V8 hold all of it as UTF-16, twice the bytes; every other character is written as its \u
 * escape, which means the same in strings, regular expressions, identifiers and comments.
 */
function asciiOnly(): Plugin {
  const escape = (code: string) =>
    code.replace(/[^\0-\x7f]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return {
    name: 'comfyume-sidecar-ascii',
    // The finished chunk: a renderChunk edit would be undone by the printing that follows it.
    generateBundle(_options, bundle) {
      for (const output of Object.values(bundle))
        if (output.type === 'chunk') output.code = escape(output.code);
    },
  };
}

/**
 * raw-body's decoder tables (iconv-lite's encodings, half of the bundle's text) are left out: the
 * sidecar reads request bodies as bytes (sidecar/src/http/body.ts passes no encoding), and
 * iconv-lite loads them only to decode. Should that change, the module says so when loaded.
 */
const noEncodings = '\0comfyume-no-iconv-encodings';
function withoutDecoderTables(): Plugin {
  return {
    name: 'comfyume-sidecar-no-encodings',
    enforce: 'pre', // before Vite's own resolver finds the real folder
    resolveId: (source, importer) =>
      source === '../encodings' && importer?.includes('/iconv-lite/lib/') ? noEncodings : null,
    load: (id) =>
      id === noEncodings
        ? "throw new Error('the sidecar build leaves out iconv-lite\\'s encodings (cli/sidecar.vite.config.ts): read bodies as bytes, or stop leaving them out');"
        : null,
  };
}

export default defineConfig({
  root,
  publicDir: false,
  logLevel: 'warn',
  plugins: [withoutDecoderTables(), asciiOnly(), sourceList()],
  // Every package inlined: the bundle needs node_modules for nothing.
  ssr: { noExternal: true, target: 'node' },
  build: {
    ssr: 'cli/src/sidecar-entry.ts',
    outDir: 'dist/sidecar',
    emptyOutDir: true,
    target: 'node20',
    // Readable: stack traces in the sidecar's logs point at lines a person can read.
    minify: false,
    sourcemap: false,
    reportCompressedSize: false,
    rolldownOptions: {
      output: { format: 'cjs', entryFileNames: 'sidecar.cjs', codeSplitting: false },
    },
  },
});
