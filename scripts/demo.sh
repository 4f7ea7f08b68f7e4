#!/usr/bin/env bash
# rtguard's main job on a demo container, from a fresh Debian 12 machine
# (run as root): install, build, start a real nginx container, learn its
# baseline while serving traffic, then enforce it and show that drift is
# denied while normal traffic goes on, and print the report.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
[ "$(id -u)" -eq 0 ] || { echo "demo.sh: run as root (sudo scripts/demo.sh)" >&2; exit 1; }

scripts/setup-machine.sh
# shellcheck source=podman-env.sh
. scripts/podman-env.sh
scripts/build.sh
rtguard=$top/cli/rtguard
export RTGUARD_DB=${RTGUARD_DB:-/var/lib/rtguard/demo.db}
name=rtguard-demo-nginx

cleanup() {
	[ -n "${bg:-}" ] && kill "$bg" 2>/dev/null
	podman rm -f -t 0 "$name" >/dev/null 2>&1 || true
}
trap cleanup EXIT
podman rm -f -t 0 "$name" >/dev/null 2>&1 || true

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "start nginx (localhost/rtguard-nginx:test) on port 8080"
podman run -d --name "$name" --network host localhost/rtguard-nginx:test >/dev/null
for _ in $(seq 50); do curl -sf -o /dev/null localhost:8080 && break; sleep 0.2; done

step "learn its baseline for 15 s while it serves traffic"
( for _ in $(seq 150); do curl -s -o /dev/null localhost:8080; sleep 0.1; done ) &
bg=$!
"$rtguard" learn --image rtguard-nginx --reset --duration 15s
wait "$bg" || true; bg=

step "enforce it: traffic still works, drift is denied"
"$rtguard" enforce --image rtguard-nginx --duration 12s --alerts /dev/stderr &
enf=$!
sleep 3
curl -s -o /dev/null -w 'GET / -> HTTP %{http_code}\n' localhost:8080
echo '$ podman exec nginx sh -c "cp /usr/sbin/nginx /tmp/x && /tmp/x -v"   # a dropped binary'
podman exec "$name" sh -c 'cp /usr/sbin/nginx /tmp/x && /tmp/x -v' || echo "   -> denied (exit $?)"
echo '$ podman exec nginx sh -c "echo evil >> /etc/passwd"                 # a protected write'
podman exec "$name" sh -c 'echo evil >> /etc/passwd' || echo "   -> denied (exit $?)"
wait "$enf" || true

step "report"
"$rtguard" report --image rtguard-nginx
