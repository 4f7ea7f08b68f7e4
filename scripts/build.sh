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
	reconfigure=0
	[ -f Makefile ] && reconfigure=1
	echo "rtguard: configuring $*"
	# The documented paths: /etc/rtguard/policies.d, /var/lib/rtguard.
	./configure -q --prefix=/usr --sysconfdir=/etc --localstatedir=/var "$@"
	# New flags (sanitizers on or off) are not make dependencies: rebuild.
	[ "$reconfigure" = 0 ] || make -s clean >/dev/null
fi
echo "rtguard: building"
make -s -j"$(nproc)"
echo "rtguard: built $top/cli/rtguard"
