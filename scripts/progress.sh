#!/usr/bin/env bash
# Progress for the long steps of scripts/*.sh, in the terminal's conventions. Sourced, not run.
#
#   run_step "installing npm packages" npm ci ...
#
# On a terminal: one line with a spinner, the step, its percent when known and the elapsed time,
# replaced by "✔ step (52 s)". Anywhere else (CI logs, pipes, CI set): "setup: step …", a line
# every 15 s while it runs, and "setup: ✔ step (52 s)". The command's own output goes to a log
# file and its last lines are shown when it fails. A command may write "percent:<n>:<text>"
# lines to the file named by $STEP_STATUS to report how far it is.

STEP_PREFIX=${STEP_PREFIX:-setup}

step_interactive() {
  [ -t 2 ] && [ "${TERM:-dumb}" != dumb ] && [ -z "${CI:-}" ]
}

# run_step <title> <command...>
run_step() {
  local title=$1; shift
  local log status_file began pid rc=0 frames='⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏' i=0 last_plain elapsed detail
  log=$(mktemp -t comfyume-step.XXXXXX)
  status_file=$(mktemp -t comfyume-status.XXXXXX)
  began=$SECONDS
  last_plain=$SECONDS
  step_interactive || echo "$STEP_PREFIX: $title …" >&2
  STEP_STATUS=$status_file "$@" >"$log" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    elapsed=$((SECONDS - began))
    detail=$(tail -n 1 "$status_file" 2>/dev/null | awk -F: '/^percent:/ { printf "%d%% %s", $2, $3 }')
    if step_interactive; then
      printf '\r\033[2K%s %s%s (%d s)' "${frames:i++%${#frames}:1}" "$title" "${detail:+ · $detail}" "$elapsed" >&2
      sleep 0.1
    else
      if [ $((SECONDS - last_plain)) -ge 15 ]; then
        echo "$STEP_PREFIX:   $title: still running${detail:+, $detail} ($elapsed s)" >&2
        last_plain=$SECONDS
      fi
      sleep 1
    fi
  done
  wait "$pid" || rc=$?
  elapsed=$((SECONDS - began))
  step_interactive && printf '\r\033[2K' >&2
  if [ $rc -eq 0 ]; then
    echo "$STEP_PREFIX: ✔ $title ($elapsed s)" >&2
  else
    echo "$STEP_PREFIX: ✖ $title failed (exit $rc after $elapsed s); its last lines:" >&2
    tail -n 25 "$log" | sed 's/^/    /' >&2
  fi
  rm -f "$log" "$status_file"
  return $rc
}

# apt-get with its machine-readable progress (APT::Status-Fd) turned into percent lines. A bash
# loop, not awk: mawk reads a pipe in large blocks, so the percent would arrive only at the end.
apt_with_percent() {
  "$@" -o APT::Status-Fd=3 3> >(
    while IFS=: read -r kind _ percent text; do
      case $kind in
        dlstatus) echo "percent:${percent%%.*}:downloading" ;;
        pmstatus) echo "percent:${percent%%.*}:$text" ;;
      esac
    done >>"$STEP_STATUS"
  )
}
