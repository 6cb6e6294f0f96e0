#!/usr/bin/env bash
# Installs what this project needs on a fresh Debian machine, and nothing twice, showing progress:
# Debian packages (redis-server, chromium, nginx, htpasswd; prometheus with --monitoring), the
# npm packages in package-lock.json, and the `comfyume` command on PATH.
#
#   scripts/setup.sh [--monitoring]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/progress.sh

monitoring=0
for arg in "$@"; do
  case $arg in
    --monitoring) monitoring=1 ;;
    *) echo "setup: unknown option $arg (usage: scripts/setup.sh [--monitoring])" >&2; exit 2 ;;
  esac
done

need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v chromium >/dev/null || need+=(chromium)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || need+=(nginx-light)
command -v htpasswd >/dev/null || need+=(apache2-utils)
if [ $monitoring -eq 1 ] && ! [ -x /usr/bin/prometheus ]; then need+=(prometheus); fi
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  run_step "updating the Debian package lists" $SUDO apt-get update
  run_step "installing Debian packages: ${need[*]}" \
    apt_with_percent $SUDO apt-get install -y --no-install-recommends "${need[@]}"
fi

# npm ci only when the lock file changed since the last install (or nothing is installed).
stamp=node_modules/.comfyume-lock-hash
hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$hash" ]; then
  run_step "installing npm packages (npm ci)" npm ci --no-audit --no-fund
  echo "$hash" > "$stamp"
fi

# The `comfyume` command on PATH, pointing at this checkout, so every command in the README works
# as printed from any folder: /usr/local/bin when writable (root), else ~/.local/bin.
target="$PWD/bin/comfyume.js"
for dir in /usr/local/bin "$HOME/.local/bin"; do
  [ -d "$dir" ] || [ "$dir" = /usr/local/bin ] || mkdir -p "$dir" 2>/dev/null || continue
  [ -w "$dir" ] || continue
  if [ "$(readlink -f "$dir/comfyume" 2>/dev/null)" != "$(readlink -f "$target")" ]; then
    ln -sfn "$target" "$dir/comfyume"
    echo "setup: ✔ the comfyume command: $dir/comfyume → $target" >&2
  fi
  case ":$PATH:" in
    *":$dir:"*) ;;
    *) echo "setup: $dir is not on your PATH: add it to type comfyume (or run node $target)" >&2 ;;
  esac
  break
done
