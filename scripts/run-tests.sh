#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine (run as root):
# installs what is needed, builds, sets up Podman and the test images, then
# runs the unit tests (cmocka) and the integration tests (real audit,
# fanotify and Podman containers) with `make check` on a build with
# AddressSanitizer and UndefinedBehaviorSanitizer, then `make distcheck`,
# then every libFuzzer target for FUZZ_SECONDS (default 20) each.
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
# test that triggered it. RTGUARD_SANITIZERS=0 builds without them.
# First a plain build, kept for the valgrind test (ASan and valgrind do not
# mix), then the sanitizer build the suite runs on.
scripts/build.sh --disable-sanitizers || { echo "run-tests.sh: build failed" >&2; exit 1; }
plain=$(mktemp -d /tmp/rtguard-plain.XXXXXX)
trap 'rm -rf "$plain"' EXIT
cp cli/rtguard "$plain/rtguard"
export RTGUARD_PLAIN=$plain/rtguard
if [ "${RTGUARD_SANITIZERS:-1}" = 1 ]; then
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=23
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	scripts/build.sh --enable-sanitizers || { echo "run-tests.sh: build failed" >&2; exit 1; }
else
	scripts/build.sh || { echo "run-tests.sh: build failed" >&2; exit 1; }
fi

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

if [ "${RTGUARD_SKIP_FUZZ:-0}" != 1 ]; then
	# Bounded fuzzing of every hostile-input parser (tests/fuzz/).
	if FUZZ_SECONDS=${FUZZ_SECONDS:-20} scripts/run-fuzz.sh "$top" >fuzz.log 2>&1; then
		grep '^fuzz:' fuzz.log
		echo "PASS: fuzzing (scripts/run-fuzz.sh)"
		pass=$((pass + 1))
	else
		tail -30 fuzz.log
		echo "FAIL: fuzzing (see fuzz.log)"
		fail=$((fail + 1)); status=1
	fi
fi

echo "rtguard tests: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] || status=1
exit $status
