#!/usr/bin/env bash
# Fix and Optimize with proof in a real VS Code (code-server + headless Chromium) against the real server
# (`python -I -m server lsp` as the extension starts it), the Docker sandbox, and a scripted OpenAI-compatible
# endpoint on loopback reached through litellm (deterministic candidates; the first refine answer waits 25 s so
# that a run can be cancelled). The workspace is a git repository with everything committed, so that Optimize
# changed functions finds exactly the function the run edits. Drives tests/client/vscode_verify_e2e.js, then runs
# the applied file's tests in the sandbox (never on the host).
#
#   client-vscode/scripts/e2e-verify.sh [--shots DIR] [--keep]
#
# Environment: PYTHON (default <repo>/.venv/bin/python), CODE_SERVER, CHROMIUM, E2E_JOB_TIMEOUT (s, default 420),
# REFACTORCODER_VSIX (a packaged extension to use instead of building one).
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
work="$(mktemp -d /tmp/refactorcoder-verify.XXXXXX)"
shots="${shots:-$work/shots}"
mkdir -p "$shots" "$work/user/User" "$work/extensions" "$work/home" "$work/ws/tests"
[ -n "${CODE_SERVER:-}" ] || CODE_SERVER="$(bash "$here/install-code-server.sh" | tail -n 1)"
[ -x "$chromium" ] || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2; }

if [ -n "${REFACTORCODER_VSIX:-}" ]; then
  cp "$REFACTORCODER_VSIX" "$work/refactorcoder.vsix"   # built once for several runs
else
  (cd "$ext_dir"
   if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund >&2; fi
   npm run --silent package >&2 && cp refactorcoder.vsix "$work/refactorcoder.vsix")
fi

# The workspace (slow function, buggy function, their tests) and the endpoint's script, from the scripted
# orchestrator tests' fixtures.
PYTHONPATH="$repo" "$python" - "$work" <<'EOF'
import json, sys
from pathlib import Path
from tests.orchestrator.test_loop_scripted import BUGGY, CORRECT, FAST, JUDGE, TESTS
work = Path(sys.argv[1]); ws = work / "ws"
(ws / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
(ws / "pairs.py").write_text('"""Pairs."""\n\n\n' + CORRECT + "\n\ndef other():\n    return 1\n")
(ws / "buggy.py").write_text('"""Pairs, with a bug."""\n\n\n' + BUGGY.replace("count_pairs", "count_pairs_b"))
(ws / "tests" / "test_pairs.py").write_text(TESTS)
(ws / "tests" / "test_buggy.py").write_text(TESTS.replace("from pairs import count_pairs", "from buggy import count_pairs_b")
                                             .replace("count_pairs(", "count_pairs_b("))
fixed = "```python\n" + CORRECT.replace("count_pairs", "count_pairs_b") + "\nprint(count_pairs_b([1, 2, 3], 4))\n```"
# What Optimize changed functions works on: a committed function that the run edits. Its candidate leaves a space
# at the end (a test catches it), so the result comes in seconds, with no timing to wait for.
(ws / "fmt.py").write_text('"""Formatting."""\n\n\ndef shout(words: list[str]) -> str:\n'
                           '    """The words upper-cased, joined by single spaces."""\n    out = ""\n    for w in words:\n'
                           '        out = out + w.upper() + " "\n    return out.strip()\n')
(ws / "tests" / "test_fmt.py").write_text('from fmt import shout\n\n\ndef test_shout():\n    assert shout(["a", "bc"]) == "A BC"\n'
                                          '\n\ndef test_empty():\n    assert shout([]) == ""\n')
wrong = '```python\ndef shout(words: list[str]) -> str:\n    return " ".join(w.upper() for w in words) + " "\n```'
(work / "script.json").write_text(json.dumps({"refiner": [FAST], "refiner@def shout": [wrong], "fixer": [fixed],
                                             "judge": [JUDGE]}))
EOF
git -C "$work/ws" init -q && git -C "$work/ws" add -A &&
  git -C "$work/ws" -c user.name=e2e -c user.email=e2e@localhost commit -qm "the workspace as checked out"

(cd "$repo" && exec "$python" -m tests.scripted_endpoint --port-file "$work/port" --script "$work/script.json" \
  --slow-first refiner=25) >"$shots/endpoint.log" 2>&1 &
ep_pid=$!
for _ in $(seq 1 50); do [ -s "$work/port" ] && break; sleep 0.1; done
base="http://127.0.0.1:$(cat "$work/port")/v1"
stage() { printf '{"model": "openai/%s", "api_base": "%s", "fallbacks": [], "retries": 0, "timeout_s": 60}' "$1" "$base"; }
cat > "$work/user/User/settings.json" <<EOF
{
  "security.workspace.trust.enabled": false, "workbench.startupEditor": "none", "workbench.tips.enabled": false,
  "telemetry.telemetryLevel": "off", "extensions.autoCheckUpdates": false, "update.mode": "none", "editor.codeLens": true,
  "workbench.editor.enablePreview": true,
  "refactorcoder.refine": $(stage refiner),
  "refactorcoder.fix": $(stage fixer),
  "refactorcoder.judge": $(stage judge),
  "refactorcoder.limits": {"maxAttempts": 1, "decisionBudgetS": 30, "minPairs": 8},
  "refactorcoder.optimization": {"metric": "time", "workload": "count_pairs(list(range(1200)), 1200)"}
}
EOF
"$CODE_SERVER" --user-data-dir "$work/user" --extensions-dir "$work/extensions" --install-extension "$work/refactorcoder.vsix" >&2
port="$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
env PATH="$(dirname "$python"):$PATH" VSCODE_CLI=1 REFACTORCODER_HOME="$work/home" LITELLM_LOCAL_MODEL_COST_MAP=True \
  OPENAI_API_KEY=sk-scripted-endpoint-dummy \
  "$CODE_SERVER" --auth none --bind-addr "127.0.0.1:$port" --disable-telemetry --disable-update-check \
  --disable-workspace-trust --user-data-dir "$work/user" --extensions-dir "$work/extensions" "$work/ws" \
  >"$shots/code-server.log" 2>&1 &
cs_pid=$!
cleanup() {
  kill "$ep_pid" 2>/dev/null || true
  if [ "$keep" = 0 ]; then kill "$cs_pid" 2>/dev/null || true; wait "$cs_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT
for _ in $(seq 1 120); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.5; done

rc=0
node "$repo/tests/client/vscode_verify_e2e.js" --url "http://127.0.0.1:$port/?folder=$work/ws" --workspace "$work/ws" \
  --shots "$shots" --job-timeout "${E2E_JOB_TIMEOUT:-420}" --chromium "$chromium" || rc=$?
find "$work/user/logs" -name '*RefactorCoder*' -exec cp {} "$shots/" \; 2>/dev/null || true

# The applied file's tests, run in the sandbox (model-written code never runs on the host).
if [ "$rc" = 0 ]; then
  { cat "$work/ws/pairs.py"; sed '/^from pairs import/d' "$work/ws/tests/test_pairs.py"
    printf '\nfor _n, _f in list(globals().items()):\n    if _n.startswith("test_"):\n        _f()\nprint("applied file: tests pass")\n'
  } > "$work/check_pairs.py"
  if "$python" -m server run --lang python "$work/check_pairs.py" | tee "$shots/applied-tests.txt" | grep -q "applied file: tests pass"; then
    echo "applied file: its tests pass in the sandbox"
  else
    echo "the applied file's tests failed (see $shots/applied-tests.txt)" >&2; rc=1
  fi
fi
echo "screenshots: $shots"; ls "$shots"
exit "$rc"
