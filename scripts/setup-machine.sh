#!/usr/bin/env bash
# Set up a Debian 12 machine for rtguard's demo and tests (root): packages,
# Podman configuration, the Engine API service, the local test images.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
fail() { echo "setup-machine: $1 failed" >&2; exit 1; }
"$here/install-deps.sh" || fail "installing packages"
. "$here/podman-env.sh"
"$here/start-podman-api.sh" || fail "starting the Podman API service"
"$here/build-test-images.sh" || fail "building the test images"
