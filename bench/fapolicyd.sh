#!/usr/bin/env bash
# fapolicyd.sh start STATEDIR | stop STATEDIR: run fapolicyd, the peer, for
# one measurement only, configured like rtguard's enforcement of the bench
# image: an exec allow-list of the image's binaries (path, size, SHA-256).
#
# Safety: fapolicyd marks every mount of the types in watch_fs. Only
# "overlay" is watched, never ext4/tmpfs, so the host root filesystem gets no
# permission mark; allow_filesystem_mark = 1 is needed because a mount mark
# on the host's copy of a container overlay does not see the container's
# events (docs/PERFORMANCE.md). Other overlays on the machine (other
# people's containers) are marked too, so the last rule allows everything
# that is not the bench: the bench's binaries are matched by the trust rule
# before it, exactly as an allow-list would, and the one deny rule names a
# path only the bench creates, to prove fapolicyd sees the container.
# fapolicyd runs as root here: dropping to its own uid failed on this machine
# ("Cannot change to uid 102"), and rtguard runs as root too.
# /etc/fapolicyd is saved to STATEDIR and restored by stop.
set -uo pipefail
cmd=${1:?start|stop}
st=${2:?STATEDIR}
conf=/etc/fapolicyd

start() {
	mkdir -p "$st"
	rm -rf "$st/etc-fapolicyd"
	cp -a "$conf" "$st/etc-fapolicyd"
	sed -i -e 's/^watch_fs *=.*/watch_fs = overlay/' \
	    -e 's/^allow_filesystem_mark *=.*/allow_filesystem_mark = 1/' \
	    -e 's/^trust *=.*/trust = file/' \
	    -e 's/^integrity *=.*/integrity = sha256/' \
	    -e 's/^permissive *=.*/permissive = 0/' \
	    -e 's/^uid *=.*/uid = root/' -e 's/^gid *=.*/gid = root/' "$conf/fapolicyd.conf"
	grep -q '^allow_filesystem_mark' "$conf/fapolicyd.conf" ||
		echo 'allow_filesystem_mark = 1' >>"$conf/fapolicyd.conf"
	cat >"$conf/compiled.rules" <<'RULES'
deny_audit perm=execute all : path=/tmp/rtbench-denied
allow perm=execute all : trust=1
allow perm=any all : all
RULES
	mkdir -p /run/fapolicyd /var/lib/fapolicyd
	chown fapolicyd:fapolicyd /run/fapolicyd /var/lib/fapolicyd
	rm -f /var/lib/fapolicyd/data.mdb /var/lib/fapolicyd/lock.mdb
}

case $cmd in
start)
	shift 2
	# Remaining args: trust lines "PATH SIZE SHA256", PATH as fapolicyd
	# reads it from the event fd, i.e. inside the container.
	start
	printf '%s\n' "$@" >"$conf/trust.d/rtbench"
	chown -R root:fapolicyd "$conf"
	setsid fapolicyd ${FAPOLICYD_DEBUG:---debug-deny} >"$st/fapolicyd.log" 2>&1 </dev/null &
	echo $! >"$st/fapolicyd.pid"
	;;
stop)
	if [ -s "$st/fapolicyd.pid" ]; then
		p=$(cat "$st/fapolicyd.pid")
		kill -TERM "$p" 2>/dev/null
		for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
		rm -f "$st/fapolicyd.pid"
	fi
	if [ -d "$st/etc-fapolicyd" ]; then
		rm -rf "$conf"
		cp -a "$st/etc-fapolicyd" "$conf"
		rm -rf "$st/etc-fapolicyd"
	fi
	rm -f /var/lib/fapolicyd/data.mdb /var/lib/fapolicyd/lock.mdb
	systemctl disable fapolicyd >/dev/null 2>&1 || true
	;;
*)
	echo "usage: fapolicyd.sh start|stop STATEDIR [TRUST-LINES...]" >&2
	exit 2
	;;
esac
