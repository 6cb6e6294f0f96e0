/**
 * @fileoverview The import rules of ARCHITECTURE.md, checked by dependency-cruiser
 * (`npm run boundaries`, run by scripts/test.sh): protocol imports no runtime; runtimes never
 * import each other; only cli/ (and bench/, which `comfyume bench` runs) start them; browser
 * folders import no Node built-in and no server module; no source imports test code; no cycles.
 * Test files (`*.test.ts`, `test/`, a runtime's `test/` or `testing/`) may import anything.
 * `kit/` (Node plumbing) and `ui-kit/` (browser UI kit) may be imported by every runtime.
 * `workshop-page/` is treated as a runtime: its `page/` is browser code, its `server.ts` Node code
 * that cli/ (`comfyume up`) and the e2e tests import.
 * `admin-ui/` (the operator dashboard) is a browser runtime: its `src/` is browser code, its
 * `vite.config.ts` the Node build config; the relay serves the build and imports none of it.
 *
 * Each break that exists today is one named edge in `knownBreaks`; any other edge a rule
 * forbids fails the run.
 */

/** Files allowed to import anything. */
const TEST = '(\\.test\\.ts$|^test/|^[^/]+/(test|testing)/)';
/** The runtime folders (ARCHITECTURE.md's tree). */
const RUNTIMES = 'simulator|relay|sidecar|worker|extensions|admin-ui|workshop-page';
/** The host frontend's modules, which vite.config.ts leaves external (extensions/src/shims.d.ts). */
const HOST_MODULES = '^comfyui-host/(app|api)$';

/**
 * Per rule, one [importing file, imported file] pair per break (a built-in by its bare name, a
 * package by its folder ending in `/`). None today: every rule holds without exceptions.
 */
const knownBreaks = {};

const escapeRegExp = (path) => path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const exact = (path) => `^${escapeRegExp(path)}$`;
/** A file exactly; a path ending in `/` as a folder. */
const target = (path) => (path.endsWith('/') ? `^${escapeRegExp(path)}` : exact(path));

/**
 * A forbidden rule plus its known breaks: the rule skips each file that has one, and a copy of
 * the rule per such file allows exactly the named targets.
 */
function rule(name, comment, from, to) {
  const breaks = knownBreaks[name] ?? [];
  const breakFroms = [...new Set(breaks.map(([file]) => file))];
  const base = { name, comment, severity: 'error' };
  const pathNot = [TEST, ...(from.pathNot ? [from.pathNot] : [])];
  return [
    { ...base, from: { ...from, pathNot: [...pathNot, ...breakFroms.map(exact)] }, to },
    ...breakFroms.map((file) => ({
      ...base,
      // The rule's own from.path keeps its capture groups ($1); the lookahead narrows it to the file.
      from: { path: from.path, pathNot: `^(?!${exact(file).slice(1)})` },
      to: {
        ...to,
        pathNot: [
          ...(to.pathNot ? [to.pathNot].flat() : []),
          ...breaks
            .filter(([importer]) => importer === file)
            .map(([, imported]) => target(imported)),
        ],
      },
    })),
  ];
}

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'A cycle ties modules into one; split the shared part into its own module.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...rule(
      'protocol-imports-zod-only',
      'protocol/ runs everywhere (servers and browsers): it imports itself and zod, nothing else.',
      { path: '^protocol/' },
      { pathNot: '^(protocol/|node_modules/zod/)' },
    ),
    ...rule(
      'runtimes-stay-apart',
      'A runtime never imports another runtime, cli/ or bench/; share through protocol/, kit/ or ui-kit/.',
      { path: `^(${RUNTIMES})/` },
      { path: `^(${RUNTIMES}|cli|bench)/`, pathNot: '^$1/' },
    ),
    ...rule(
      'cli-starts-runtimes',
      'cli/ starts runtimes: of a runtime it imports only src/app.ts, src/config.ts and src/main.ts (of workshop-page/, server.ts).',
      { path: '^cli/' },
      {
        path: `^(${RUNTIMES})/`,
        pathNot:
          '^((simulator|relay|sidecar|worker)/src/(app|config|main)|workshop-page/server)\\.ts$',
      },
    ),
    ...rule(
      'bench-starts-runtimes',
      'bench/ imports protocol/ and the cli client; like cli/ it starts runtimes through their app.ts and config.ts.',
      { path: '^bench/' },
      {
        path: `^(${RUNTIMES}|cli)/`,
        pathNot: '^((simulator|relay|sidecar|worker)/src/(app|config)\\.ts|cli/src/client/.*)$',
      },
    ),
    ...rule(
      'browser-imports-browser-code',
      'Browser code imports its own folder, protocol/, ui-kit/ and npm packages: no Node built-in, no server module.',
      { path: '^(extensions|admin-ui/src|ui-kit|workshop-page/page)/' },
      { pathNot: [`^($1/|protocol/|ui-kit/|node_modules/)`, HOST_MODULES] },
    ),
    ...rule(
      'kit-imports-protocol-only',
      'kit/ is Node plumbing shared by runtimes: it imports itself, protocol/, Node built-ins and npm packages.',
      { path: '^kit/' },
      { pathNot: '^(kit/|protocol/|node_modules/)', dependencyTypesNot: ['core'] },
    ),
    ...rule(
      'src-imports-no-test-code',
      'Shipped code never imports test code or test tools.',
      { path: '^([^/]+/src/|ui-kit/|workshop-page/)' },
      {
        path: '(^test/|^[^/]+/(test|testing)/|\\.test\\.ts$|^node_modules/(vitest|@vitest/|happy-dom|playwright-core)/)',
      },
    ),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|data|reports|coverage|gpu-agent|docker)/' },
    // Type-only imports couple modules too.
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.d.ts', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
