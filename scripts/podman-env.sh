# Source me: Podman settings for this machine (see shared/PLATFORM.md).
# The engine's configuration is written to a file of rtguard's own and named
# by CONTAINERS_CONF, so an existing /etc/containers/containers.conf is
# never touched.
RTGUARD_CONTAINERS_CONF=/etc/rtguard-test/containers.conf
_rt_conf='[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"'
if [ "$(cat "$RTGUARD_CONTAINERS_CONF" 2>/dev/null)" != "$_rt_conf" ]; then
	mkdir -p "$(dirname "$RTGUARD_CONTAINERS_CONF")"
	printf '%s\n' "$_rt_conf" >"$RTGUARD_CONTAINERS_CONF"
fi
unset _rt_conf
export CONTAINERS_CONF=$RTGUARD_CONTAINERS_CONF
export RTGUARD_TEST_SOCKET=/run/podman/podman.sock
