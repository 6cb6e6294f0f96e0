#!/usr/bin/env bash
# The main job: a whole workshop on this machine (see README). Installs what it needs first
# (Prometheus too when --monitoring is given). Works from any folder.
set -euo pipefail
cd "$(dirname "$0")/.."
setup_args=()
for arg in "$@"; do [ "$arg" = --monitoring ] && setup_args=(--monitoring); done
bash scripts/setup.sh "${setup_args[@]}"
exec node bin/comfyume.js up "$@"
