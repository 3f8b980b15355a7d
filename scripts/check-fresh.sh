#!/usr/bin/env bash
# Fresh-machine check of the system-package part of set-up: in a bare Debian bookworm (debootstrap minbase
# + python3, i.e. the sandbox's base image) run scripts/install-system-packages.sh and then require every
# command listed in scripts/system-packages.tsv to be on PATH. It catches a wrong or missing package name
# in the table; tests/scripts/test_system_packages.py catches a command missing from the table.
#   bash scripts/check-fresh.sh [--bench] [IMAGE]     (needs the Docker engine and network to the Debian mirror)
set -euo pipefail
cd "$(dirname "$0")/.."
tiers=(--test) image=""
for arg in "$@"; do
  case "$arg" in
    --bench) tiers+=(--bench) ;;
    *) image="$arg" ;;
  esac
done
image="${image:-$(.venv/bin/python -c 'from sandbox.images import base_tag; print(base_tag())')}"
echo "check-fresh: $image, tiers setup ${tiers[*]}" >&2
# The engine's bridge network reaches the Debian mirror like the host does; the repository is read-only.
docker run --rm -v "$PWD/scripts:/scripts:ro" -e DEBIAN_FRONTEND=noninteractive "$image" bash -euo pipefail -c '
  bash /scripts/install-system-packages.sh '"${tiers[*]}"'
  missing=()
  while IFS=$'"'"'\t'"'"' read -r package commands tier _why; do
    case "$package" in ""|"#"*) continue ;; esac
    case " '"${tiers[*]}"' setup " in *"--$tier "*|*" $tier "*) ;; *) continue ;; esac
    [ "$commands" = "-" ] && { dpkg-query -W "$package" >/dev/null 2>&1 || missing+=("$package"); continue; }
    for cmd in ${commands//,/ }; do command -v "$cmd" >/dev/null || missing+=("$cmd ($package)"); done
  done </scripts/system-packages.tsv
  if [ ${#missing[@]} -gt 0 ]; then echo "check-fresh: FAILED, still missing: ${missing[*]}" >&2; exit 1; fi
  echo "check-fresh: ok, every listed command is present after install-system-packages.sh" >&2
'
