#!/usr/bin/env bash
# Start Podman's Docker-compatible API on /run/podman/podman.sock unless one
# already answers. The pid of the service started here goes to
# /run/rtguard-test/podman-api.pid, so stop-podman-api.sh stops only it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/podman-env.sh"
sock=$RTGUARD_TEST_SOCKET
ping() { [ "$(curl -s -m 2 --unix-socket "$sock" http://d/v1.41/_ping 2>/dev/null)" = OK ]; }
if ping; then
	echo "start-podman-api: $sock already answers"
	exit 0
fi
mkdir -p /run/podman /run/rtguard-test
rm -f "$sock"
setsid podman system service --time=0 "unix://$sock" \
	>/run/rtguard-test/podman-api.log 2>&1 </dev/null &
echo $! >/run/rtguard-test/podman-api.pid
for _ in $(seq 150); do
	ping && { echo "start-podman-api: $sock answers (pid $(cat /run/rtguard-test/podman-api.pid))"; exit 0; }
	sleep 0.2
done
echo "start-podman-api: $sock did not answer within 30 s; see /run/rtguard-test/podman-api.log" >&2
exit 1
