#!/usr/bin/env bash
# Build rtguard in place (./autogen.sh && ./configure && make).
# Extra arguments go to configure, e.g. scripts/build.sh --enable-sanitizers
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
if [ ! -x configure ] || [ configure.ac -nt configure ]; then
	echo "rtguard: generating the build system (autogen.sh)"
	./autogen.sh >/dev/null
fi
if [ ! -f Makefile ] || [ "$#" -gt 0 ]; then
	echo "rtguard: configuring $*"
	./configure -q "$@"
fi
echo "rtguard: building"
make -s -j"$(nproc)"
echo "rtguard: built $top/cli/rtguard"
