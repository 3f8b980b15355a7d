#!/usr/bin/env bash
# Make sure a Docker engine is reachable for the RefactorCoder sandbox. Idempotent.
#  - if `docker info` already works: nothing to do;
#  - otherwise install Debian's docker.io (apt-get update only when the package is unknown),
#    start dockerd in the background (log: /var/log/dockerd-refactorcoder.log) and wait up to 60 s.
#  - REFACTORCODER_GVISOR=1 also installs runsc (gVisor) and registers it as runtime "runsc".
# Exits non-zero with a clear message when the engine cannot be made reachable.
set -euo pipefail

LOG=/var/log/dockerd-refactorcoder.log
WAIT_S=${REFACTORCODER_DOCKER_WAIT_S:-60}

say() { echo "ensure-docker: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        die "need root to run: $* (re-run as root or install sudo)"; fi
}

engine_up() { docker info >/dev/null 2>&1; }

apt_install() {
    # apt-get update only if a package is not known to apt yet (keeps re-runs fast and offline-friendly).
    local missing=()
    for pkg in "$@"; do
        apt-cache show "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    if [ ${#missing[@]} -gt 0 ]; then as_root apt-get update -qq; fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

configure_gvisor() {
    command -v runsc >/dev/null 2>&1 || apt_install runsc
    local cfg=/etc/docker/daemon.json
    if [ -f "$cfg" ] && grep -q '"runsc"' "$cfg"; then return 0; fi
    as_root mkdir -p /etc/docker
    as_root python3 - "$cfg" <<'PY'
import json, os, sys
path = sys.argv[1]
cfg = json.load(open(path)) if os.path.exists(path) and os.path.getsize(path) else {}
cfg.setdefault("runtimes", {})["runsc"] = {"path": "/usr/bin/runsc", "runtimeArgs": ["--network=none"]}
json.dump(cfg, open(path, "w"), indent=2)
PY
    say "registered runsc in $cfg"
    local pid
    pid=$(pgrep -x dockerd | head -n1 || true)
    if [ -n "$pid" ]; then as_root kill -HUP "$pid"; sleep 1; fi
}

if engine_up; then
    [ "${REFACTORCODER_GVISOR:-0}" = 1 ] && configure_gvisor
    say "engine reachable ($(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?'))"
    exit 0
fi

if [ -n "${DOCKER_HOST:-}" ]; then
    die "DOCKER_HOST=$DOCKER_HOST is set but the engine there does not answer; start it or unset DOCKER_HOST"
fi

if ! command -v dockerd >/dev/null 2>&1; then
    command -v apt-get >/dev/null 2>&1 || die "no dockerd and no apt-get: install Docker Engine by hand"
    say "installing docker.io from Debian"
    apt_install docker.io
fi
[ "${REFACTORCODER_GVISOR:-0}" = 1 ] && configure_gvisor

if ! pgrep -x dockerd >/dev/null 2>&1; then
    say "starting dockerd (log: $LOG)"
    # Its own session (setsid): a dockerd left in the caller's process group dies when that group is killed
    # (a timed-out CI step, a terminal closing), taking every sandbox run after it down.
    as_root setsid -f dockerd >>"$LOG" 2>&1 </dev/null
fi

for _ in $(seq 1 "$WAIT_S"); do
    if engine_up; then
        say "engine reachable after start"
        exit 0
    fi
    sleep 1
done
tail -n 20 "$LOG" >&2 2>/dev/null || true
die "dockerd did not answer within ${WAIT_S}s (see $LOG). On hosts without cgroup support or inside \
unprivileged containers the engine cannot run; use a VM or point DOCKER_HOST at a working engine."
