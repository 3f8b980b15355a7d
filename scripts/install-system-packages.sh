#!/usr/bin/env bash
# Installs the Debian packages of scripts/system-packages.tsv that are missing (one apt-get update first,
# only when something is missing). Idempotent; as root (or with sudo).
#   bash scripts/install-system-packages.sh          # the set-up tier
#   bash scripts/install-system-packages.sh --test   # the set-up and the test tiers
#   bash scripts/install-system-packages.sh --bench  # the set-up tier and the benchmarks' host toolchains
#   bash scripts/install-system-packages.sh --list   # print the packages of the chosen tiers, install nothing
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tiers="setup" list=0
for arg in "$@"; do
  case "$arg" in
    --test) tiers="$tiers test" ;;
    --bench) tiers="$tiers bench" ;;
    --list) list=1 ;;
    *) echo "usage: $0 [--test] [--bench] [--list]" >&2; exit 2 ;;
  esac
done

# A package counts as present when all its commands are on PATH (so a Node.js from elsewhere that brings
# its own npm is kept), or, for a package without commands, when dpkg has it installed.
present() { # present PACKAGE COMMANDS
  if [ "$2" = "-" ]; then
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
  else
    local cmd
    for cmd in ${2//,/ }; do command -v "$cmd" >/dev/null 2>&1 || return 1; done
  fi
}

wanted=()
missing=()
while IFS=$'\t' read -r package commands tier _why; do
  case "$package" in ''|'#'*) continue ;; esac
  [[ " $tiers " == *" $tier "* ]] || continue
  wanted+=("$package")
  present "$package" "$commands" || missing+=("$package")
done <"$here/system-packages.tsv"
if [ "$list" = 1 ]; then printf '%s\n' "${wanted[@]}"; exit 0; fi
[ ${#missing[@]} -eq 0 ] && exit 0

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
    echo "install-system-packages: need root to install: ${missing[*]}" >&2; exit 1; fi
}
echo "install-system-packages: installing ${missing[*]}" >&2
# openssh-server is here only for the binary the tests start on loopback from a temp folder: a machine that did
# not have it must not get a system sshd listening on port 22. Debian's units and init script do not start
# sshd while /etc/ssh/sshd_not_to_be_run exists (openssh-server's README.Debian); remove it to run one.
if [[ " ${missing[*]} " == *" openssh-server "* ]] && [ ! -e /etc/ssh/sshd_not_to_be_run ]; then
  as_root mkdir -p /etc/ssh
  as_root touch /etc/ssh/sshd_not_to_be_run
  echo "install-system-packages: openssh-server installed for the tests only; the system sshd stays off" \
       "(/etc/ssh/sshd_not_to_be_run)" >&2
fi
as_root apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
