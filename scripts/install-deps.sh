#!/usr/bin/env bash
# Install rtguard's build, runtime and test dependencies (Debian 12, root).
# Idempotent. RTGUARD_SKIP_APT_UPDATE=1 skips `apt-get update`.
set -euo pipefail
pkgs=(build-essential autoconf autoconf-archive automake libtool pkg-config
	libaudit-dev auditd libsqlite3-dev sqlite3 libpcre2-dev libevent-dev
	libcmocka-dev libjansson-dev libseccomp-dev libcurl4-openssl-dev libssl-dev
	podman runc busybox-static debootstrap curl jq ca-certificates
	iproute2 procps psmisc file clang libclang-rt-14-dev valgrind
	docker.io libbpf-dev bpftool)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	echo "install-deps: installing ${missing[*]}"
	[ "${RTGUARD_SKIP_APT_UPDATE:-0}" = 1 ] || apt-get update -qq
	# auditd's package would start a daemon that holds the kernel's audit
	# pid; rtguard needs it, so no service starts during the install.
	created_policy=0
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod +x /usr/sbin/policy-rc.d
		created_policy=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null
	[ "$created_policy" = 0 ] || rm -f /usr/sbin/policy-rc.d
fi
if pid=$(pgrep -x auditd); then
	echo "install-deps: stopping auditd (pid $pid): rtguard needs the audit pid"
	service auditd stop >/dev/null 2>&1 || kill $pid || true
fi
echo "install-deps: all dependencies present"
