#!/usr/bin/env bash
# Build rtguard out of the source tree, in a build directory per flavour:
#
#   scripts/build.sh [plain|asan|fuzz] [CONFIGURE_ARGS...]
#
#   plain  $top/build/plain: the binary as installed (the default)
#   asan   $top/build/asan: AddressSanitizer + UndefinedBehaviorSanitizer,
#          the build the test suite runs on
#   fuzz   $top/build/fuzz: clang with --enable-fuzzing; builds only the
#          libFuzzer targets of tests/fuzz/ (`make fuzz`, scripts/run-fuzz.sh)
#
# Every flavour is configured with --prefix=/usr --sysconfdir=/etc
# --localstatedir=/var, so the binary's defaults are the documented
# /etc/rtguard/policies.d and /var/lib/rtguard/rtguard.db. Extra arguments
# go to configure; a build directory configured with other arguments is
# removed and configured afresh (flags are not make dependencies).
# The last line names what was built.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
flavour=plain
case "${1:-}" in
plain | asan | fuzz) flavour=$1; shift ;;
esac
dir=$top/build/$flavour
args=(--prefix=/usr --sysconfdir=/etc --localstatedir=/var)
case $flavour in
asan) args+=(--enable-sanitizers) ;;
fuzz)
	# clang warns where gcc does not: a fuzz build never fails on a warning.
	args+=(CC=clang "CFLAGS=-g -O1" --enable-fuzzing --disable-werror) ;;
esac
args+=("$@")

cd "$top"
# A tree configured in place (as this script once did) makes every VPATH
# configure refuse; its build products are only in the way.
if [ -f config.status ]; then
	echo "rtguard: $top was configured in place; removing that build (make distclean) to build in $top/build/ instead"
	make -s distclean >/dev/null 2>&1 || rm -f config.status
	if [ -f config.status ] || [ -f config.h ] || [ -f Makefile ]; then
		echo "rtguard: $top is still configured in place: run 'make distclean' there, then this script again" >&2
		exit 1
	fi
fi
if [ ! -x configure ] || [ configure.ac -nt configure ]; then
	echo "rtguard: generating the build system (autogen.sh)"
	./autogen.sh >/dev/null
fi

want=$(printf '%q ' "${args[@]}")
if [ -f "$dir/Makefile" ] && [ "$(cat "$dir/.configure-args" 2>/dev/null)" != "$want" ]; then
	echo "rtguard: $dir was configured differently; configuring afresh"
	rm -rf "$dir"
fi
if [ ! -f "$dir/Makefile" ]; then
	mkdir -p "$dir"
	echo "rtguard: configuring $dir (${want% })"
	(cd "$dir" && "$top/configure" -q "${args[@]}") || {
		echo "rtguard: configure failed, see $dir/config.log" >&2
		exit 1
	}
	printf '%s' "$want" >"$dir/.configure-args"
fi
echo "rtguard: building in $dir"
if [ "$flavour" = fuzz ]; then
	make -C "$dir" -s -j"$(nproc)" fuzz
	echo "rtguard: built the fuzz targets in $dir/tests/fuzz"
else
	make -C "$dir" -s -j"$(nproc)"
	echo "rtguard: built $dir/cli/rtguard"
fi
