#!/usr/bin/env bash
# Runs every test: typecheck, lint, the import rules, unused dependencies, the builds (extension,
# dashboard, the sidecar's one file that every test starting `comfyume sidecar` runs),
# then all vitest projects (unit, extensions, integration with real Redis and sockets, e2e with
# headless Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
# Prometheus too: test/integration/ops-monitoring.test.ts runs every dashboard query against it.
bash scripts/setup.sh --monitoring

echo "== typecheck"; npx tsc -b
echo "== lint"; npx eslint . --max-warnings=0
echo "== format"; npx prettier --check . --log-level warn
echo "== boundaries"; npx depcruise . --config .dependency-cruiser.cjs
echo "== unused"; npx knip
echo "== build"; npx vite build --logLevel warn && npx vite build --logLevel warn --config admin-ui/vite.config.ts \
  && npx vite build --logLevel warn --config cli/sidecar.vite.config.ts
echo "== tests"
mkdir -p reports
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=reports/vitest.json "$@" || status=$?
# A plain closing line any CI can read, from vitest's own JSON report.
node -e '
  const r = require("./reports/vitest.json");
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
' || true
exit $status
