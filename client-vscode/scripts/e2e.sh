#!/usr/bin/env bash
# End-to-end check of the RefactorCoder extension in a real VS Code (code-server) driven by headless Chromium.
#
#   client-vscode/scripts/e2e.sh [--fake] [--solve] [--shots DIR] [--keep]
#
#   --fake    use tests/client/fake_server (canned answers, no models) instead of the real `python -m server lsp`
#   --solve   also run Solve → diff preview → Apply (default on with --fake, plus a stale-edit refusal check;
#             slow with a real model)
#   --shots   where screenshots, timings.json and logs go (default: a new temp dir, printed at the end)
#   --keep    leave code-server running at the end (prints its URL) for poking at it by hand
#
# Environment: PYTHON (default <repo>/.venv/bin/python), CODE_SERVER (binary; default: install/locate via
# scripts/install-code-server.sh), CHROMIUM (default /usr/bin/chromium, apt-installed if missing),
# E2E_JOB_TIMEOUT (seconds to wait for a guide/solve job, default 240).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ext_dir="$(dirname "$here")"
repo="$(dirname "$ext_dir")"
fake=0 solve=0 stale=0 keep=0 shots=""
while [ $# -gt 0 ]; do
  case "$1" in
    --fake) fake=1; solve=1; stale=1 ;;
    --solve) solve=1 ;;
    --keep) keep=1 ;;
    --shots) shots="$2"; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

python="${PYTHON:-$repo/.venv/bin/python}"
chromium="${CHROMIUM:-/usr/bin/chromium}"
job_timeout="${E2E_JOB_TIMEOUT:-240}"
work="$(mktemp -d /tmp/refactorcoder-e2e.XXXXXX)"
shots="${shots:-$work/shots}"
mkdir -p "$shots"
t_all=$(date +%s)
timings=()
phase() { # phase NAME COMMAND...: run and time one phase
  local name="$1" t0; shift
  t0=$(date +%s.%N)
  echo "== $name" >&2
  "$@"   # setup phases abort the script on failure (set -e); drive/check record into $rc instead
  timings+=("$(printf '%-34s %6.1fs' "$name" "$(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN{print a-b}')")")
}

locate_code_server() {
  if [ -n "${CODE_SERVER:-}" ]; then return; fi
  CODE_SERVER="$(bash "$here/install-code-server.sh" | tail -n 1)"
}
ensure_chromium() {
  [ -x "$chromium" ] && return
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq chromium >&2 || { apt-get update -qq >&2 && apt-get install -y -qq chromium >&2; }
}
build_vsix() {
  cd "$ext_dir"
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund >&2; fi
  npm run --silent compile >&2
  node scripts/package-vsix.js "$work/refactorcoder.vsix" >&2
}
prepare_profile() {
  mkdir -p "$work/user/User" "$work/extensions" "$work/ws" "$work/home"
  cp "$repo"/examples/*.py "$work/ws/" 2>/dev/null || cat > "$work/ws/two_sum.py" <<'EOF'
# Given a list of integers `nums` and an integer `target`, return the indices of the two
# numbers that add up to `target`.
def two_sum(nums, target):
    for i in range(len(nums)):
        for j in range(len(nums)):
            if i != j and nums[i] + nums[j] == target:
                return [i, j]
    return []
EOF
  # Real mode names the interpreter in settings; fake mode leaves it unset so that discovery finds the
  # workspace's .venv/bin/python (a wrapper around $python).
  local interpreter_setting="  \"refactorcoder.interpreter\": [\"$python\"],"
  if [ "$fake" = 1 ]; then
    interpreter_setting=""
    mkdir -p "$work/ws/.venv/bin"
    printf '#!/bin/sh\nexec "%s" "$@"\n' "$python" > "$work/ws/.venv/bin/python"
    chmod +x "$work/ws/.venv/bin/python"
  fi
  cat > "$work/user/User/settings.json" <<EOF
{
  "security.workspace.trust.enabled": false,
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.enableExperiments": false,
  "telemetry.telemetryLevel": "off",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "extensions.ignoreRecommendations": true,
  "update.mode": "none",
  "editor.codeLens": true,
$interpreter_setting
  "refactorcoder.history_path": "$work/home/history-from-settings.db",
  "refactorcoder.judge": {"temperature": 0, "max_tokens": 256}
}
EOF
  "$CODE_SERVER" --user-data-dir "$work/user" --extensions-dir "$work/extensions" \
    --install-extension "$work/refactorcoder.vsix" >&2
}
start_code_server() {
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  local pythonpath="$repo"
  [ "$fake" = 1 ] && pythonpath="$repo/tests/client/fake_server"
  PYTHONPATH="$pythonpath" REFACTORCODER_HOME="$work/home" LITELLM_LOCAL_MODEL_COST_MAP=True \
    "$CODE_SERVER" --auth none --bind-addr "127.0.0.1:$port" --disable-telemetry --disable-update-check \
    --disable-workspace-trust --user-data-dir "$work/user" --extensions-dir "$work/extensions" "$work/ws" \
    >"$shots/code-server.log" 2>&1 &
  cs_pid=$!
  for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return
    kill -0 "$cs_pid" 2>/dev/null || { cat "$shots/code-server.log" >&2; return 1; }
    sleep 0.5
  done
  echo "code-server did not come up" >&2; return 1
}
cleanup() {
  if [ "$keep" = 0 ] && [ -n "${cs_pid:-}" ]; then kill "$cs_pid" 2>/dev/null || true; wait "$cs_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT

phase "locate/install code-server" locate_code_server
phase "chromium" ensure_chromium
phase "npm ci + compile + package vsix" build_vsix
phase "profile + install vsix" prepare_profile
phase "start code-server" start_code_server
drive_args=(--url "http://127.0.0.1:$port/?folder=$work/ws" --file two_sum.py --line 8 --shots "$shots"
            --job-timeout "$job_timeout" --chromium "$chromium" --user-settings "$work/user/User/settings.json")
[ "$solve" = 1 ] && drive_args+=(--solve)
[ "$stale" = 1 ] && drive_args+=(--stale)
rc=0
drive() { node "$repo/tests/client/vscode_e2e.js" "${drive_args[@]}" && return 0; rc=$?; }
phase "drive VS Code (playwright)" drive
# The extension host's logs (our output channel included) for the record.
find "$work/user/logs" -name '*RefactorCoder*' -exec cp {} "$shots/" \; 2>/dev/null || true
# Settings reach the server in its shape: the fake server logs what it got; the real one opens history_path.
settings_ok() {
  local log="$shots/RefactorCoder.log"
  [ -f "$log" ] || return 1
  if [ "$fake" = 1 ]; then
    grep -q 'Python (workspace-venv): .*/ws/.venv/bin/python' "$log" &&
      grep -q 'initializationOptions: .*"history_path": "[^"]*history-from-settings.db"' "$log" &&
      grep -q 'workspace/configuration: .*"max_tokens": 256' "$log" &&
      grep -q "settings pushed: .*'guide': {'max_tokens': 200}" "$log" &&
      ! grep -qE '(initializationOptions|workspace/configuration): .*"(interpreter|serverArgs)"' "$log"
  else
    grep -q 'history-from-settings.db' "$log" &&                    # initializationOptions were used
      grep -q 'settings applied from workspace/' "$log"               # the live change was applied
  fi
}
check_settings() { settings_ok && return 0; echo "settings check failed (see $shots/RefactorCoder.log)" >&2; rc=1; }
phase "settings reached the server" check_settings

echo
echo "timings:"; printf '  %s\n' "${timings[@]}"
printf '  %-34s %6ss\n' "total" "$(( $(date +%s) - t_all ))"
echo "mode: $([ "$fake" = 1 ] && echo fake server || echo "real server ($python -m server lsp)")"
echo "screenshots: $shots"; ls "$shots"
[ "$keep" = 1 ] && echo "code-server still running: http://127.0.0.1:$port/?folder=$work/ws (pid $cs_pid)"
exit "$rc"
