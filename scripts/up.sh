#!/usr/bin/env bash
# The main job: a whole workshop on this machine (see README). Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node bin/comfyume.js up "$@"
