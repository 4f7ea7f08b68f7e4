#!/usr/bin/env bash
# Stop the API service that start-podman-api.sh started, and nothing else.
set -u
f=/run/rtguard-test/podman-api.pid
[ -f "$f" ] || exit 0
kill "$(cat "$f")" 2>/dev/null
rm -f "$f"
