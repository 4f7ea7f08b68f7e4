#!/usr/bin/env bash
# Build every libFuzzer target of tests/fuzz/ with clang (libFuzzer,
# AddressSanitizer, UndefinedBehaviorSanitizer) straight from the parser
# sources, then run each for FUZZ_SECONDS (default 20) on a copy of its
# seed corpus in tests/fuzz/corpus/<target>/.
#
#   scripts/run-fuzz.sh [BUILD_DIR] [TARGET...]
#
# BUILD_DIR is a configured build directory (its config.h is used); without
# one, configure runs in a temporary directory. TARGETs are names such as
# "auditrec" (default: all). Prints "fuzz: TARGET ok (N runs)" per target
# or the crash input it found, and exits 1 if any target crashed. A crash
# input belongs in the target's corpus once the parser is fixed, so that it
# stays a regression test. Work files stay in FUZZ_OUT (default: a new
# directory under /tmp).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
seconds=${FUZZ_SECONDS:-20}
out=${FUZZ_OUT:-$(mktemp -d /tmp/rtguard-fuzz.XXXXXX)}
mkdir -p "$out"/obj "$out"/bin "$out"/corpus "$out"/crash "$out"/log

# The parsers and what they link against; everything else stays out.
lib_sources="common/error.c common/escape.c common/imageref.c common/json.c common/log.c
	common/sha256.c common/timefmt.c common/xmalloc.c
	container/cgroup.c container/engine.c
	store/schema.c store/store.c store/writer.c
	learner/auditrec.c enforcer/intent.c
	policies/policy.c formats/baseline-json.c formats/portable.c"
pkgs=(libpcre2-8 jansson libcurl libevent libcrypto sqlite3)

die() {
	echo "run-fuzz.sh: $*" >&2
	exit 2
}

# --- clang with libFuzzer --------------------------------------------------
fuzzer_works() {
	echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n)
	    { (void)d; (void)n; return 0; }' > "$out"/probe.c
	clang -fsanitize=fuzzer,address,undefined "$out"/probe.c \
	    -o "$out"/probe 2>"$out"/log/probe.log
}

if ! command -v clang >/dev/null 2>&1; then
	if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "run-fuzz.sh: installing clang" >&2
		apt-get install -y clang >/dev/null ||
		    die "apt-get install -y clang failed"
	else
		die "clang not found: apt-get install clang libclang-rt-14-dev"
	fi
fi
if ! fuzzer_works; then
	major=$(clang -dumpversion | cut -d. -f1)
	if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
		apt-get install -y "libclang-rt-$major-dev" >/dev/null 2>&1
	fi
	fuzzer_works || die "clang cannot link -fsanitize=fuzzer" \
	    "(apt-get install libclang-rt-$major-dev): $(head -3 \
	    "$out"/log/probe.log)"
fi
pkg-config --exists "${pkgs[@]}" ||
    die "missing libraries: run scripts/install-deps.sh (${pkgs[*]})"

# --- config.h ----------------------------------------------------------------
if [ $# -gt 0 ] && [ -d "$1" ]; then
	cfgdir=$(cd "$1" && pwd)
	shift
	[ -f "$cfgdir/config.h" ] ||
	    die "$cfgdir has no config.h: run configure there first"
else
	[ -x "$top/configure" ] ||
	    die "no configure script: run autoreconf -i in $top"
	cfgdir="$out/config"
	mkdir -p "$cfgdir"
	(cd "$cfgdir" && "$top/configure" -q >"$out"/log/configure.log 2>&1) ||
	    die "configure failed, see $out/log/configure.log"
fi

# --- build -------------------------------------------------------------------
cflags="-std=gnu11 -g -O1 -fno-omit-frame-pointer -Wall
	-fno-sanitize-recover=undefined
	-I$top -I$cfgdir -include $cfgdir/config.h $(pkg-config --cflags "${pkgs[@]}")"
libs="$(pkg-config --libs "${pkgs[@]}") -lpthread"

objs=""
for src in $lib_sources; do
	obj="$out/obj/$(echo "$src" | tr / _ | sed 's/\.c$/.o/')"
	# shellcheck disable=SC2086
	clang $cflags -fsanitize=fuzzer-no-link,address,undefined \
	    -c "$top/$src" -o "$obj" 2>>"$out"/log/build.log ||
	    die "cannot compile $src, see $out/log/build.log"
	objs="$objs $obj"
done
rm -f "$out"/libparsers.a
# shellcheck disable=SC2086
ar rcs "$out"/libparsers.a $objs || die "ar failed"

if [ $# -gt 0 ]; then
	targets="$*"
else
	targets=$(find "$top/tests/fuzz" -maxdepth 1 -name 'fuzz_*.c' |
	    sed 's|.*/fuzz_||; s/\.c$//' | sort)
fi
for t in $targets; do
	[ -f "$top/tests/fuzz/fuzz_$t.c" ] || die "no target tests/fuzz/fuzz_$t.c"
	# shellcheck disable=SC2086
	clang $cflags -fsanitize=fuzzer,address,undefined \
	    "$top/tests/fuzz/fuzz_$t.c" "$out"/libparsers.a $libs \
	    -o "$out/bin/fuzz_$t" 2>>"$out"/log/build.log ||
	    die "cannot build fuzz_$t, see $out/log/build.log"
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
	"$out/bin/fuzz_$t" -max_total_time="$seconds" -timeout=10 \
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
echo "fuzz: logs, binaries and crash inputs in $out"
exit $status
