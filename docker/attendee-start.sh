#!/usr/bin/env bash
# Runs ComfyUI (CPU, loopback only) and the sidecar side by side under tini. If either exits, the
# other is stopped and the container exits with that status, so Docker's restart policy brings
# both back together (a sidecar without its ComfyUI, or the reverse, is of no use to an attendee).
set -uo pipefail

"${PYTHON:-python}" "${COMFYUI_DIR:-/opt/ComfyUI}/main.py" --cpu --listen 127.0.0.1 --port 18188 \
  --output-directory "${COMFYUI_OUTPUT_DIR}" --temp-directory "${COMFYUI_TEMP_DIR}" \
  --input-directory "${COMFYUI_INPUT_DIR}" --max-upload-size 100 --disable-auto-launch &
comfy=$!

# Node flags and allocator settings as bin/sidecar-start.js gives every sidecar (less RSS).
(cd "${APP_DIR:-/app}" && MALLOC_ARENA_MAX=2 \
  exec node --max-semi-space-size=1 bin/comfyume.js sidecar) &
sidecar=$!

trap 'kill -TERM "$comfy" "$sidecar" 2>/dev/null' TERM INT

# The first of the two to exit (or a signal) ends the wait; then both are stopped and reaped.
wait -n "$comfy" "$sidecar"
status=$?
kill -TERM "$comfy" "$sidecar" 2>/dev/null
wait "$comfy" "$sidecar" 2>/dev/null
exit "$status"
