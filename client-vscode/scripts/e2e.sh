#!/usr/bin/env bash
# End-to-end check of the RefactorCoder extension in a real VS Code (code-server) driven by headless Chromium.
#
#   client-vscode/scripts/e2e.sh [--fake] [--quick] [--first-start] [--shots DIR] [--keep]
#
#   --fake    use tests/client/fake_server (canned answers, no models) instead of the real server
#             (`<python> -I -m server lsp` on the embedded model `local`, as the extension starts it)
#   --quick   skip Solve → diff preview → stale Apply refused → file put back → Apply Again → file on disk changed
#             (run by default in both modes; tens of seconds per Solve with the real model)
#   --first-start  only the first start on a machine with no Python that has refactorcoder (no setting, a decoy
#             .venv, nothing on PATH, no setup.sh marker): the notification says what to do, Choose Interpreter →
#             typed path → the server runs; then a setting written to settings.json on disk reaches it
#             (tests/client/vscode_first_start_e2e.js)
#   --shots   where screenshots, timings.json and logs go (default: a new temp dir, printed at the end)
#   --keep    leave code-server running at the end (prints its URL) for poking at it by hand
#
# Environment: REFACTORCODER_VSIX (a packaged extension to use instead of building one),
# PYTHON (default <repo>/.venv/bin/python), CODE_SERVER (binary; default: install/locate via
# scripts/install-code-server.sh), CHROMIUM (default /usr/bin/chromium, apt-installed if missing),
# E2E_JOB_TIMEOUT (seconds to wait for a guide/solve job, default 420: a Solve with guidance on the embedded
# Qwen2.5-Coder-0.5B took 40-95 s on a busy 2-core machine).
# A missing code-server or chromium is installed; when that fails the script fails (it never skips).
#
# The workspace holds, beside examples/*.py, a models.py, server/__init__.py and sandbox.py that leave a
# marker and raise when imported: the server must start and work without ever importing them. In real mode
# it also holds a decoy .venv whose python lacks refactorcoder: discovery must pass over it and find the
# interpreter of the `refactorcoder` console script on PATH (no interpreter setting).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ext_dir="$(dirname "$here")"
repo="$(dirname "$ext_dir")"
fake=0 solve=1 stale=1 keep=0 shots="" first_start=0
while [ $# -gt 0 ]; do
  case "$1" in
    --fake) fake=1 ;;
    --first-start) first_start=1 ;;
    --quick) solve=0; stale=0 ;;
    --solve) ;;  # the default; kept for old command lines
    --keep) keep=1 ;;
    --shots) shots="$2"; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

python="${PYTHON:-$repo/.venv/bin/python}"
chromium="${CHROMIUM:-/usr/bin/chromium}"
job_timeout="${E2E_JOB_TIMEOUT:-420}"
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
  # A vsix built once for several runs (tests/client/test_vscode_e2e.py builds it once per session).
  if [ -n "${REFACTORCODER_VSIX:-}" ]; then cp "$REFACTORCODER_VSIX" "$work/refactorcoder.vsix"; return; fi
  cd "$ext_dir"
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund >&2; fi
  npm run --silent lint >&2
  npm run --silent package >&2        # esbuild bundle (vscode:prepublish) + @vscode/vsce
  cp refactorcoder.vsix "$work/refactorcoder.vsix"
}
prepare_profile() {
  mkdir -p "$work/user/User" "$work/extensions" "$work/ws" "$work/home" "$work/config"
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
  # A workspace whose own files would shadow ours if the server imported from it.
  mkdir -p "$work/ws/server"
  for f in models.py sandbox.py server/__init__.py; do
    printf 'open(%s, "w").write("imported")\nraise RuntimeError("the workspace file %s was imported")\n' \
      "'$work/IMPORTED-${f//\//-}'" "$f" > "$work/ws/$f"
  done
  # No interpreter setting: discovery runs. Fake mode: the workspace's .venv/bin/python is a wrapper that
  # drops -I so that PYTHONPATH (the fake server) applies. Real mode: that .venv is a decoy without
  # refactorcoder, passed over for the console script's interpreter.
  mkdir -p "$work/ws/.venv/bin"
  if [ "$fake" = 1 ]; then
    printf '#!/bin/sh\n[ "$1" = "-I" ] && shift\nexec "%s" "$@"\n' "$python" > "$work/ws/.venv/bin/python"
  else
    printf '#!/bin/sh\nexec /usr/bin/python3 "$@"\n' > "$work/ws/.venv/bin/python"
  fi
  chmod +x "$work/ws/.venv/bin/python"
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
  "refactorcoder.history_path": "$work/home/history-from-settings.db",
  "refactorcoder.guide": {"max_tokens": 160},
  "refactorcoder.solve": {"max_tokens": 320},
  "refactorcoder.judge": {"temperature": 0, "max_tokens": 256}
}
EOF
  "$CODE_SERVER" --user-data-dir "$work/user" --extensions-dir "$work/extensions" \
    --install-extension "$work/refactorcoder.vsix" >&2
}
start_code_server() {
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  # Real mode: no PYTHONPATH (-I ignores it anyway); the console script's folder first on PATH, which
  # reaches the extension host only with VSCODE_CLI=1 (else the PATH of a login shell replaces it).
  local env_extra=(PATH="$(dirname "$python"):$PATH")
  [ "$fake" = 1 ] && env_extra=(PYTHONPATH="$repo/tests/client/fake_server")
  [ "$first_start" = 1 ] && env_extra=(PATH="/usr/local/bin:/usr/bin:/bin")  # no refactorcoder command on it
  # XDG_CONFIG_HOME: an empty folder, so no setup.sh marker of this machine's is found.
  env "${env_extra[@]}" XDG_CONFIG_HOME="$work/config" VSCODE_CLI=1 REFACTORCODER_HOME="$work/home" LITELLM_LOCAL_MODEL_COST_MAP=True \
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
drive_args=(--url "http://127.0.0.1:$port/?folder=$work/ws" --workspace "$work/ws" --file two_sum.py --line 8 --shots "$shots"
            --job-timeout "$job_timeout" --chromium "$chromium" --user-settings "$work/user/User/settings.json")
[ "$solve" = 1 ] && drive_args+=(--solve)
[ "$stale" = 1 ] && drive_args+=(--stale)
rc=0
if [ "$first_start" = 1 ]; then
  drive_args=(--url "http://127.0.0.1:$port/?folder=$work/ws" --file two_sum.py --shots "$shots" --chromium "$chromium"
              --good-python "$python" --user-settings "$work/user/User/settings.json" --logs "$work/user/logs")
  drive() { node "$repo/tests/client/vscode_first_start_e2e.js" "${drive_args[@]}" && return 0; rc=$?; }
else
  drive() { node "$repo/tests/client/vscode_e2e.js" "${drive_args[@]}" && return 0; rc=$?; }
fi
phase "drive VS Code (playwright)" drive
# The extension host's logs (our output channel included) for the record.
find "$work/user/logs" -name '*RefactorCoder*' -exec cp {} "$shots/" \; 2>/dev/null || true
# Settings reach the server in its shape: the fake server logs what it got; the real one opens history_path.
settings_ok() {
  local log="$shots/RefactorCoder.log"
  [ -f "$log" ] || return 1
  grep -q "Server command: .* -I -m server lsp (cwd $work/extensions/" "$log" || return 1
  if [ "$first_start" = 1 ]; then
    grep -q 'Passed over .*/ws/.venv/bin/python: refactorcoder is not installed' "$log" &&
      grep -q "Python (setting): $python" "$log"
  elif [ "$fake" = 1 ]; then
    grep -q 'Python (workspace-venv): .*/ws/.venv/bin/python' "$log" &&
      grep -q 'initializationOptions: .*"history_path": "[^"]*history-from-settings.db"' "$log" &&
      grep -q 'workspace/configuration: .*"max_tokens": 256' "$log" &&
      grep -q "settings pushed: .*'guide': {[^}]*'max_tokens': 200}" "$log" &&
      ! grep -qE '(initializationOptions|workspace/configuration): .*"(interpreter|serverArgs)"' "$log"
  else
    grep -q 'Passed over .*/ws/.venv/bin/python: refactorcoder is not installed' "$log" &&
      grep -q "Python (console-script): $(dirname "$python")/python" "$log" &&
      grep -q 'history-from-settings.db' "$log" &&                    # initializationOptions were used
      grep -q 'settings applied from workspace/' "$log"               # the live change was applied
  fi
}
check_settings() { settings_ok && return 0; echo "settings check failed (see $shots/RefactorCoder.log)" >&2; rc=1; }
phase "settings reached the server" check_settings
check_not_shadowed() {
  local found; found="$(ls "$work"/IMPORTED-* 2>/dev/null || true)"
  [ -z "$found" ] && return 0
  echo "the workspace's own files were imported: $found" >&2; rc=1
}
phase "workspace files never imported" check_not_shadowed

echo
echo "timings:"; printf '  %s\n' "${timings[@]}"
printf '  %-34s %6ss\n' "total" "$(( $(date +%s) - t_all ))"
echo "mode: $([ "$fake" = 1 ] && echo fake server || echo "real server (python -I -m server lsp, model local)")"
echo "screenshots: $shots"; ls "$shots"
[ "$keep" = 1 ] && echo "code-server still running: http://127.0.0.1:$port/?folder=$work/ws (pid $cs_pid)"
exit "$rc"
