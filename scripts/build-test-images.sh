#!/usr/bin/env bash
# Build the images the tests and the demo use, locally (no registry):
#   localhost/rtguard-busybox:test   busybox-static, seconds
#   localhost/rtguard-busybox2:test  the same plus a marker: "another image"
#   localhost/rtguard-nginx:test     Debian's nginx-light via debootstrap,
#                                    cached as a tarball between runs
#   localhost/rtguard-redis:test     Debian's redis-server the same way, with
#                                    an official-style entrypoint (mkdir and
#                                    chown as root, then setpriv to redis)
# An image that exists is kept unless --force is given.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/podman-env.sh"
# shellcheck source=rootfs.sh
. "$here/rootfs.sh"
force=0
[ "${1:-}" = --force ] && force=1
cache=/var/cache/rtguard-test
mkdir -p "$cache"
work=$(mktemp -d /var/tmp/rtguard-images.XXXXXX)
trap 'rm -rf "$work"' EXIT

have() { [ "$force" = 0 ] && podman image exists "$1"; }

if ! have localhost/rtguard-busybox:test || ! have localhost/rtguard-busybox2:test; then
	echo "build-test-images: busybox images"
	busybox_rootfs "$work/bb"
	tar -C "$work/bb" -c . | podman import -q --change 'CMD ["/bin/sh"]' - \
		localhost/rtguard-busybox:test >/dev/null
	echo "another image" >"$work/bb/etc/rtguard-image2"
	tar -C "$work/bb" -c . | podman import -q --change 'CMD ["/bin/sh"]' - \
		localhost/rtguard-busybox2:test >/dev/null
fi

if ! have localhost/rtguard-nginx:test; then
	tarball=$cache/nginx-rootfs.tar
	if [ ! -s "$tarball" ]; then
		mirror=$(grep -hoE 'https?://[^ ]+' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -1 || true)
		if [ -z "$mirror" ]; then
			mirror=$(grep -hoE '^URIs: *https?://[^ ]+' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1 | sed 's/^URIs: *//' || true)
		fi
		mirror=${mirror:-http://deb.debian.org/debian}
		echo "build-test-images: debootstrap nginx-light from $mirror (about a minute)"
		debootstrap --variant=minbase --include=nginx-light bookworm \
			"$work/nginx" "$mirror" >"$work/debootstrap.log" 2>&1 || {
			tail -20 "$work/debootstrap.log" >&2
			echo "build-test-images: debootstrap failed" >&2
			exit 1
		}
		r=$work/nginx
		rm -f "$r"/etc/nginx/sites-enabled/*
		cat >"$r/etc/nginx/sites-enabled/default" <<'NGINX'
server {
	listen 8080 default_server;
	root /var/www/html;
	index index.html index.nginx-debian.html;
	access_log /var/log/nginx/access.log;
	error_log /var/log/nginx/error.log;
	location / { try_files $uri $uri/ =404; }
}
NGINX
		rm -f "$r/var/log/nginx/access.log" "$r/var/log/nginx/error.log"
		: >"$r/var/log/nginx/access.log"
		: >"$r/var/log/nginx/error.log"
		rm -rf "$r"/var/cache/apt/archives/*.deb "$r"/var/lib/apt/lists/*
		tar -C "$r" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
	fi
	echo "build-test-images: importing localhost/rtguard-nginx:test"
	podman import -q --change 'CMD ["nginx","-g","daemon off;"]' "$tarball" \
		localhost/rtguard-nginx:test >/dev/null
fi
# A Debian rootfs with packages, cached as a tarball: debootstrap once.
debian_rootfs() {
	local name=$1 include=$2 r=$work/$1 mirror
	mirror=$(grep -hoE 'https?://[^ ]+' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -1 || true)
	if [ -z "$mirror" ]; then
		mirror=$(grep -hoE '^URIs: *https?://[^ ]+' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1 | sed 's/^URIs: *//' || true)
	fi
	mirror=${mirror:-http://deb.debian.org/debian}
	echo "build-test-images: debootstrap $include from $mirror (about a minute)"
	debootstrap --variant=minbase --include="$include" bookworm "$r" \
		"$mirror" >"$work/debootstrap-$name.log" 2>&1 || {
		tail -20 "$work/debootstrap-$name.log" >&2
		echo "build-test-images: debootstrap failed" >&2
		exit 1
	}
	rm -rf "$r"/var/cache/apt/archives/*.deb "$r"/var/lib/apt/lists/*
}

if ! have localhost/rtguard-redis:test; then
	tarball=$cache/redis-rootfs.tar
	if [ ! -s "$tarball" ]; then
		debian_rootfs redis redis-server
		r=$work/redis
		# As the official image does it: prepare /data as root, then
		# drop to the service user; redis-server is a symlink there.
		cat >"$r/usr/local/bin/docker-entrypoint.sh" <<'ENTRY'
#!/bin/sh
set -e
mkdir -p /data
chown redis:redis /data
chmod 0750 /data
exec setpriv --reuid=redis --regid=redis --init-groups \
	redis-server --dir /data --protected-mode no --save '' "$@"
ENTRY
		chmod 0755 "$r/usr/local/bin/docker-entrypoint.sh"
		tar -C "$r" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
	fi
	echo "build-test-images: importing localhost/rtguard-redis:test"
	podman import -q --change 'CMD ["/usr/local/bin/docker-entrypoint.sh"]' \
		"$tarball" localhost/rtguard-redis:test >/dev/null
fi
echo "build-test-images: images ready"
podman images --format '  {{.Repository}}:{{.Tag}} {{.Size}}' | grep rtguard- || true
