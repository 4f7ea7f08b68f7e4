#!/usr/bin/env bash
# rtguard's main job on a demo container, from a fresh Debian 12 machine
# (run as root): install, build, start a real nginx container, learn its
# baseline while serving traffic, then enforce it and show that drift is
# denied while normal traffic goes on, and print the report.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
[ "$(id -u)" -eq 0 ] || { echo "demo.sh: run as root (from a root shell: scripts/demo.sh)" >&2; exit 1; }

scripts/setup-machine.sh
# shellcheck source=podman-env.sh
. scripts/podman-env.sh
scripts/build.sh plain
rtguard=$top/build/plain/cli/rtguard
export RTGUARD_DB=${RTGUARD_DB:-/var/lib/rtguard/demo.db}
name=rtguard-demo-nginx

# rtguard's OCI hook, in a directory of the demo's own (a real host
# installs it with `rtguard hook install`): the container's entrypoint
# waits until the learner is attached, so learning sees everything from
# its first instruction, and `podman exec` right after start.
hooks=$(mktemp -d /tmp/rtguard-demo-hooks.XXXXXX)
"$rtguard" hook install --dir "$hooks" >/dev/null

cleanup() {
	[ -n "${bg:-}" ] && kill "$bg" 2>/dev/null
	podman rm -f -t 0 "$name" >/dev/null 2>&1 || true
	rm -rf "$hooks"
}
trap cleanup EXIT
podman rm -f -t 0 "$name" >/dev/null 2>&1 || true

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "learn: start rtguard, then nginx (localhost/rtguard-nginx:test, port 8080)"
# Learning starts first: the kernel only audits the syscalls of processes
# started after audit was enabled.
"$rtguard" learn --image rtguard-nginx --reset --until-stable 10s --duration 60s &
learn=$!
sleep 2
podman --hooks-dir "$hooks" run -d --name "$name" --network host localhost/rtguard-nginx:test >/dev/null
for _ in $(seq 50); do curl -sf -o /dev/null localhost:8080 && break; sleep 0.2; done
echo "serving traffic while rtguard learns (until nothing new for 10 s) ..."
( for _ in $(seq 120); do curl -s -o /dev/null localhost:8080; sleep 0.1; done ) &
bg=$!
podman exec "$name" sh -c 'nginx -t 2>/dev/null; ls /etc/nginx >/dev/null'
wait "$bg" || true; bg=
wait "$learn"

step "an attacker drops a binary (done before enforcement, so it succeeds)"
podman exec "$name" sh -c 'cp /usr/bin/ls /tmp/x'
echo '$ podman exec nginx cp /usr/bin/ls /tmp/x'

step "enforce the baseline: traffic still works, drift and protected writes are denied"
"$rtguard" enforce --image rtguard-nginx --duration 10s &
enf=$!
sleep 2
curl -s -o /dev/null -w 'GET / -> HTTP %{http_code}\n' localhost:8080
echo '$ podman exec nginx sh -c "/tmp/x /"                               # the dropped binary'
podman exec "$name" sh -c '/tmp/x /' || echo "   -> denied (exit $?)"
echo '$ podman exec nginx sh -c "echo evil >> /etc/passwd"             # a protected write'
podman exec "$name" sh -c 'echo evil >> /etc/passwd' || echo "   -> denied (exit $?)"
echo '$ podman exec nginx sh -c "ls /etc/nginx"                         # learned: allowed'
podman exec "$name" sh -c 'ls /etc/nginx' >/dev/null && echo "   -> allowed"
wait "$enf" || true

step "report"
"$rtguard" report --image rtguard-nginx
