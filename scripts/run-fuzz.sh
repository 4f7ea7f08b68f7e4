#!/usr/bin/env bash
# Build the libFuzzer targets of tests/fuzz/ (libFuzzer, AddressSanitizer,
# UndefinedBehaviorSanitizer: `scripts/build.sh fuzz`, a clang build in
# build/fuzz configured with --enable-fuzzing), then run each for
# FUZZ_SECONDS (default 20) on a copy of its seed corpus in
# tests/fuzz/corpus/<target>/.
#
#   scripts/run-fuzz.sh [TARGET...]
#
# TARGETs are names such as "auditrec" (default: all). Prints "fuzz: TARGET
# ok (N runs)" per target or the crash input it found, and exits 1 if any
# target crashed. A crash input belongs in the target's corpus once the
# parser is fixed, so that it stays a regression test. Work files stay in
# FUZZ_OUT (default: a new directory under /tmp).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
seconds=${FUZZ_SECONDS:-20}
out=${FUZZ_OUT:-$(mktemp -d /tmp/rtguard-fuzz.XXXXXX)}
bin=$top/build/fuzz/tests/fuzz
mkdir -p "$out"/corpus "$out"/crash "$out"/log

die() {
	echo "run-fuzz.sh: $*" >&2
	exit 2
}

command -v clang >/dev/null 2>&1 ||
    die "clang not found: run scripts/install-deps.sh (apt-get install clang libclang-rt-14-dev)"
"$top/scripts/build.sh" fuzz >"$out"/log/build.log 2>&1 ||
    die "the fuzz build failed: $(tail -5 "$out"/log/build.log)"

if [ $# -gt 0 ]; then
	targets="$*"
else
	targets=$(find "$top/tests/fuzz" -maxdepth 1 -name 'fuzz_*.c' |
	    sed 's|.*/fuzz_||; s/\.c$//' | sort)
fi
for t in $targets; do
	[ -x "$bin/fuzz_$t" ] ||
	    die "no fuzz target $bin/fuzz_$t (is it listed in tests/fuzz/local.mk?)"
done

# --- run ---------------------------------------------------------------------
status=0
for t in $targets; do
	rm -rf "$out/corpus/$t"
	mkdir -p "$out/corpus/$t"
	if [ -d "$top/tests/fuzz/corpus/$t" ]; then
		cp "$top/tests/fuzz/corpus/$t"/* "$out/corpus/$t"/ 2>/dev/null
	fi
	log="$out/log/$t.log"
	"$bin/fuzz_$t" -max_total_time="$seconds" -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix="$out/crash/$t-" "$out/corpus/$t" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	if [ "$rc" -eq 0 ]; then
		echo "fuzz: $t ok (${runs:-?} runs, $(( ${runs:-0} / seconds )) exec/s," \
		    "corpus $(find "$out/corpus/$t" -type f | wc -l) inputs)"
	else
		status=1
		crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
		echo "fuzz: $t CRASHED: ${crash:-see $log}"
		grep -m1 -E 'ERROR: |SUMMARY: |runtime error:' "$log" | sed 's/^/    /'
	fi
done
echo "fuzz: logs, crash inputs in $out; binaries in $bin"
exit $status
