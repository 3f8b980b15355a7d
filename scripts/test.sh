#!/usr/bin/env bash
# Runs the whole test suite against the real parts (Docker engine, embedded GGUF via llama.cpp,
# real LSP client, real HTTP endpoint behind litellm). Sets up first (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."
# gVisor (runsc) is optional for users; the suite registers it so its tests run rather than skip.
export REFACTORCODER_GVISOR="${REFACTORCODER_GVISOR:-1}"
bash scripts/setup.sh --test
export LITELLM_LOCAL_MODEL_COST_MAP=True
# The VS Code end-to-end tests install code-server (npm) and chromium (apt) when missing, so a fresh
# machine runs them instead of skipping. REFACTORCODER_VSCODE_E2E=0 leaves them out.
export REFACTORCODER_VSCODE_E2E="${REFACTORCODER_VSCODE_E2E:-1}"
exec .venv/bin/python -m pytest -p no:cacheprovider "$@"
