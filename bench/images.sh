#!/usr/bin/env bash
# images.sh: build the benchmark's own images, distinct from the test images
# so that a concurrent test run never shares a baseline with the bench:
#   localhost/rtbench-busybox:bench  busybox-static plus /usr/local/bin/t00..t49,
#                                    50 distinct tiny static executables
#   localhost/rtbench-nginx:bench    localhost/rtguard-nginx:test plus a label
# An image that exists is kept unless --force is given.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$top/scripts/podman-env.sh"
# shellcheck source=../scripts/rootfs.sh
. "$top/scripts/rootfs.sh"
force=0
[ "${1:-}" = --force ] && force=1
have() { [ "$force" = 0 ] && podman image exists "$1"; }
work=$(mktemp -d /var/tmp/rtbench-images.XXXXXX)
trap 'rm -rf "$work"' EXIT

if ! have localhost/rtguard-nginx:test; then
	"$top/scripts/build-test-images.sh"
fi

if ! have localhost/rtbench-busybox:bench; then
	echo "images: localhost/rtbench-busybox:bench"
	r=$work/bb
	busybox_rootfs "$r" rtbench
	echo "rtguard bench image" >"$r/etc/rtbench"
	# The smallest exec there is: a static ELF that only calls exit(0).
	cat >"$work/t.c" <<'C'
void _start(void) { __asm__ volatile("mov $60, %eax\n xor %edi, %edi\n syscall"); }
C
	gcc -Os -static -nostdlib -o "$work/t" "$work/t.c"
	for i in $(seq -w 0 49); do
		# A distinct trailing byte: 50 different files and SHA-256s.
		{ cat "$work/t"; printf '%s' "$i"; } >"$r/usr/local/bin/t$i"
		chmod 755 "$r/usr/local/bin/t$i"
	done
	tar -C "$r" -c . | podman import -q --change 'CMD ["/bin/sh"]' - \
		localhost/rtbench-busybox:bench >/dev/null
fi

if ! have localhost/rtbench-nginx:bench; then
	echo "images: localhost/rtbench-nginx:bench"
	printf 'FROM localhost/rtguard-nginx:test\nLABEL rtbench=1\n' >"$work/Containerfile"
	podman build -q -t localhost/rtbench-nginx:bench -f "$work/Containerfile" "$work" >/dev/null
fi
podman images --format '  {{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}' | grep rtbench- || true
