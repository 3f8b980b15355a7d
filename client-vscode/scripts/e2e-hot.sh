#!/usr/bin/env bash
# Find hot functions in a real VS Code (code-server + headless Chromium) against the real server
# (`python -I -m server lsp` as the extension starts it) and the Docker sandbox, which runs the trace (issue 17.4).
# No model is involved. The workspace is a small project (pyproject.toml, slow.py with a quick and a quadratic
# function, run.py calling them: the fixtures of tests/server/test_hot_functions.py). Drives
# tests/client/vscode_hot_e2e.js: the palette command, the command line typed, the job, the quick pick of hot
# functions, the "hot: … · Optimize" lens on `def slow_pairs`, and Optimize started (then cancelled) from it.
#
#   client-vscode/scripts/e2e-hot.sh [--shots DIR] [--keep]
#
# Environment: PYTHON (default <repo>/.venv/bin/python), CODE_SERVER, CHROMIUM, E2E_JOB_TIMEOUT (s, default 300),
# REFACTORCODER_VSIX (a packaged extension to use instead of building one).
# A missing code-server or chromium is installed; when that fails the script fails (it never skips).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ext_dir="$(dirname "$here")"
repo="$(dirname "$ext_dir")"
shots="" keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --shots) shots="$2"; shift ;;
    --keep) keep=1 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done
python="${PYTHON:-$repo/.venv/bin/python}"
chromium="${CHROMIUM:-/usr/bin/chromium}"
work="$(mktemp -d /tmp/refactorcoder-hot.XXXXXX)"
shots="${shots:-$work/shots}"
mkdir -p "$shots" "$work/user/User" "$work/extensions" "$work/home" "$work/config" "$work/ws"
[ -n "${CODE_SERVER:-}" ] || CODE_SERVER="$(bash "$here/install-code-server.sh" | tail -n 1)"
if [ ! -x "$chromium" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq chromium >&2 || { apt-get update -qq >&2 && apt-get install -y -qq chromium >&2; }
fi

if [ -n "${REFACTORCODER_VSIX:-}" ]; then
  cp "$REFACTORCODER_VSIX" "$work/refactorcoder.vsix"   # built once for several runs
else
  (cd "$ext_dir"
   if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund >&2; fi
   npm run --silent package >&2 && cp refactorcoder.vsix "$work/refactorcoder.vsix")
fi

# The project, from the server test's fixtures (one source of truth for what is slow). No launch.json: the
# command asks for the command line only (an input box, no quick pick of configurations first).
PYTHONPATH="$repo" "$python" - "$work/ws" <<'EOF'
import sys
from pathlib import Path
from tests.server.test_hot_functions import SCRIPT, SLOW
ws = Path(sys.argv[1])
(ws / "pyproject.toml").write_text("[project]\nname = 'proj'\n")
(ws / "slow.py").write_text(SLOW)
(ws / "run.py").write_text(SCRIPT)
EOF

cat > "$work/user/User/settings.json" <<'EOF'
{
  "security.workspace.trust.enabled": false, "workbench.startupEditor": "none", "workbench.tips.enabled": false,
  "telemetry.telemetryLevel": "off", "extensions.autoCheckUpdates": false, "update.mode": "none", "editor.codeLens": true,
  "extensions.ignoreRecommendations": true
}
EOF
"$CODE_SERVER" --user-data-dir "$work/user" --extensions-dir "$work/extensions" --install-extension "$work/refactorcoder.vsix" >&2
port="$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
# The console script's folder first on PATH (discovery finds the interpreter there); it reaches the extension
# host only with VSCODE_CLI=1. XDG_CONFIG_HOME: empty, so no setup.sh marker of this machine's is found.
env PATH="$(dirname "$python"):$PATH" VSCODE_CLI=1 XDG_CONFIG_HOME="$work/config" REFACTORCODER_HOME="$work/home" \
  LITELLM_LOCAL_MODEL_COST_MAP=True \
  "$CODE_SERVER" --auth none --bind-addr "127.0.0.1:$port" --disable-telemetry --disable-update-check \
  --disable-workspace-trust --user-data-dir "$work/user" --extensions-dir "$work/extensions" "$work/ws" \
  >"$shots/code-server.log" 2>&1 &
cs_pid=$!
cleanup() {
  if [ "$keep" = 0 ]; then kill "$cs_pid" 2>/dev/null || true; wait "$cs_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT
up=0
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && { up=1; break; }
  kill -0 "$cs_pid" 2>/dev/null || break
  sleep 0.5
done
[ "$up" = 1 ] || { cat "$shots/code-server.log" >&2; echo "code-server did not come up" >&2; exit 1; }

rc=0
node "$repo/tests/client/vscode_hot_e2e.js" --url "http://127.0.0.1:$port/?folder=$work/ws" --workspace "$work/ws" \
  --shots "$shots" --job-timeout "${E2E_JOB_TIMEOUT:-300}" --chromium "$chromium" || rc=$?
find "$work/user/logs" -name '*RefactorCoder*' -exec cp {} "$shots/" \; 2>/dev/null || true

# The trace the job saved, where Optimize reads its traced inputs (and the lenses read it).
if [ "$rc" = 0 ]; then
  if [ -s "$work/ws/.refactorcoder/trace.json" ]; then
    cp "$work/ws/.refactorcoder/trace.json" "$shots/trace.json"; echo "trace saved: .refactorcoder/trace.json"
  else
    echo "no trace saved under $work/ws/.refactorcoder" >&2; rc=1
  fi
fi
echo "screenshots: $shots"; ls "$shots"
[ "$keep" = 1 ] && echo "code-server still running: http://127.0.0.1:$port/?folder=$work/ws (pid $cs_pid)"
exit "$rc"
