#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine (run as root):
# installs what is needed, builds (scripts/build.sh: build/plain and
# build/asan), sets up Podman and the test images, then runs the unit tests
# (cmocka) and the integration tests (real audit, fanotify and Podman
# containers) with `make check` in build/asan (AddressSanitizer and
# UndefinedBehaviorSanitizer), then `make distcheck`, then every libFuzzer
# target for FUZZ_SECONDS (default 20) each (build/fuzz).
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
# Sanitizers on for the whole suite: any ASan/UBSan/LSan report fails the
# test that triggered it. RTGUARD_SANITIZERS=0 runs it on the plain build.
# The plain build (build/plain) is made in any case: the valgrind test runs
# it (ASan and valgrind do not mix), and distcheck starts from it.
scripts/build.sh plain || { echo "run-tests.sh: build failed" >&2; exit 1; }
plain=$top/build/plain
export RTGUARD_PLAIN=$plain/cli/rtguard
suite=$plain
if [ "${RTGUARD_SANITIZERS:-1}" = 1 ]; then
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=23
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	scripts/build.sh asan || { echo "run-tests.sh: build failed" >&2; exit 1; }
	suite=$top/build/asan
fi

status=0
rm -f "$suite/test-suite.log"
make -C "$suite" -s -j1 check VERBOSE=1 || status=1

# The counts are automake's own, from the summary of test-suite.log.
pass=0; fail=0; skip=0
if [ -f "$suite/test-suite.log" ]; then
	count() {
		local n
		n=$(sed -n "s/^# $1: *//p" "$suite/test-suite.log" | head -1)
		echo "${n:-0}"
	}
	pass=$(( $(count PASS) + $(count XFAIL) ))
	fail=$(( $(count FAIL) + $(count XPASS) + $(count ERROR) ))
	skip=$(count SKIP)
else
	echo "FAIL: make check ran no tests (no $suite/test-suite.log): see the build errors above"
	fail=1
fi

if [ "${RTGUARD_SKIP_DISTCHECK:-0}" != 1 ]; then
	# The tarball must build and pass its unit tests on its own; the
	# integration tests already ran above against this tree.
	log=$top/build/distcheck.log
	if RTGUARD_INTEGRATION=0 make -C "$plain" -s distcheck >"$log" 2>&1; then
		echo "PASS: make distcheck"
		pass=$((pass + 1))
	else
		echo "FAIL: make distcheck (see $log)"; tail -30 "$log"
		fail=$((fail + 1)); status=1
	fi
fi

if [ "${RTGUARD_SKIP_FUZZ:-0}" != 1 ]; then
	# Bounded fuzzing of every hostile-input parser (tests/fuzz/).
	log=$top/build/fuzz.log
	if FUZZ_SECONDS=${FUZZ_SECONDS:-20} scripts/run-fuzz.sh >"$log" 2>&1; then
		grep '^fuzz:' "$log"
		echo "PASS: fuzzing (scripts/run-fuzz.sh)"
		pass=$((pass + 1))
	else
		tail -30 "$log"
		echo "FAIL: fuzzing (see $log)"
		fail=$((fail + 1)); status=1
	fi
fi

echo "rtguard tests: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] || status=1
exit $status
