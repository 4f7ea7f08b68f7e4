#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine (run as root):
# installs what is needed, builds, sets up Podman and the test images, then
# runs the unit tests (cmocka) and the integration tests (real audit,
# fanotify and Podman containers) with `make check`, then `make distcheck`.
# Prints one closing line "rtguard tests: N passed, N failed, N skipped".
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

if [ "$(id -u)" -ne 0 ]; then
	echo "run-tests.sh: must run as root (integration tests use audit, fanotify and Podman)" >&2
	exit 1
fi

scripts/setup-machine.sh || { echo "run-tests.sh: machine setup failed" >&2; exit 1; }
# shellcheck source=podman-env.sh
. scripts/podman-env.sh
scripts/build.sh || { echo "run-tests.sh: build failed" >&2; exit 1; }

status=0
make -s -j1 check VERBOSE=1 || status=1

pass=0; fail=0; skip=0
for trs in $(find . -name '*.trs' -newer configure 2>/dev/null); do
	case "$(sed -n 's/^:test-result: //p' "$trs" | head -1)" in
	PASS|XFAIL) pass=$((pass + 1)) ;;
	SKIP) skip=$((skip + 1)) ;;
	*) fail=$((fail + 1)) ;;
	esac
done

if [ "${RTGUARD_SKIP_DISTCHECK:-0}" != 1 ]; then
	# The tarball must build and pass its unit tests on its own; the
	# integration tests already ran above against this tree.
	if RTGUARD_INTEGRATION=0 make -s distcheck >distcheck.log 2>&1; then
		echo "PASS: make distcheck"
		pass=$((pass + 1))
	else
		echo "FAIL: make distcheck (see distcheck.log)"; tail -30 distcheck.log
		fail=$((fail + 1)); status=1
	fi
fi

echo "rtguard tests: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] || status=1
exit $status
