#!/usr/bin/env bash
# The resolver against a real Podman container: from one of its pids,
# rtguard finds the container id, the image reference, the init pid and the
# overlay directories; it lists running containers by image pattern; and it
# sees a new container start and stop through the Engine API events stream.
. "$(dirname "$0")/lib.sh"
rt_setup

rt_run a "$RT_BUSYBOX" sh -c 'sleep 300 & wait'; id=$RT_ID
pid=$(podman inspect -f '{{.State.Pid}}' "$id")
child=$(pgrep -P "$pid" sleep) || rt_fail "no sleep child in the container"

# pid -> container, for the init process and for a child.
"$RTGUARD" containers --pid "$child" --runtime-socket "$RTGUARD_TEST_SOCKET" >"$RT_TMP/pid.out" ||
	rt_fail "containers --pid failed"
rt_assert_contains "$RT_TMP/pid.out" "container  $id"
rt_assert_contains "$RT_TMP/pid.out" "image      $RT_BUSYBOX"
rt_assert_contains "$RT_TMP/pid.out" "init-pid   $pid"
merged=$(awk '$1 == "merged" {print $2}' "$RT_TMP/pid.out")
upper=$(awk '$1 == "upper" {print $2}' "$RT_TMP/pid.out")
rt_assert_eq "$merged" "$(podman inspect -f '{{.GraphDriver.Data.MergedDir}}' "$id")" "merged dir"
rt_assert_eq "$upper" "$(podman inspect -f '{{.GraphDriver.Data.UpperDir}}' "$id")" "upper dir"
# The merged dir really is this container's root: a file written inside
# shows up there and in the upper layer.
rt_exec a sh -c 'echo marker > /tmp/rt-marker'
[ "$(cat "$merged/tmp/rt-marker")" = marker ] || rt_fail "merged dir is not the container's root"
[ -f "$upper/tmp/rt-marker" ] || rt_fail "upper dir does not hold the container's writes"

# A host process is not in a container: a clear error, exit 1.
if "$RTGUARD" containers --pid $$ >"$RT_TMP/host.out" 2>&1; then
	rt_fail "the test shell was resolved to a container"
fi
rt_assert_contains "$RT_TMP/host.out" "is not in a container"

# Listing by short name, repository and full reference.
for pat in rtguard-busybox localhost/rtguard-busybox "$RT_BUSYBOX"; do
	"$RTGUARD" containers --image "$pat" >"$RT_TMP/list.out" || rt_fail "containers --image $pat"
	rt_assert_contains "$RT_TMP/list.out" "${id:0:12}"
done
"$RTGUARD" containers --image rtguard-nginx >"$RT_TMP/list2.out" 2>&1
rt_assert_not_contains "$RT_TMP/list2.out" "${id:0:12}"

# The events stream: a container started after the watch began is seen,
# then its stop. The running one is reported first (the initial scan).
rt_bg "$RT_TMP/watch.out" "$RTGUARD" containers --watch --image rtguard-busybox2 --duration 60
watch=$RT_BG_PID
sleep 1
rt_run b "$RT_BUSYBOX2" sleep 300; id2=$RT_ID
rt_wait_for 10 grep -q "start $id2 $RT_BUSYBOX2" "$RT_TMP/watch.out" ||
	{ cat "$RT_TMP/watch.out" >&2; rt_fail "the start of $id2 was not seen"; }
rt_stop b
rt_wait_for 15 grep -q "stop $id2" "$RT_TMP/watch.out" ||
	{ cat "$RT_TMP/watch.out" >&2; rt_fail "the stop of $id2 was not seen"; }
rt_assert_not_contains "$RT_TMP/watch.out" "$id" "a busybox container leaked into the busybox2 watch"
kill -TERM "$watch"
rt_wait_exit "$watch" 5 || rt_fail "containers --watch did not exit cleanly on SIGTERM"

# No engine: a clear error naming the socket, exit 1.
"$RTGUARD" containers --runtime-socket "$RT_TMP/none.sock" >"$RT_TMP/noeng.out" 2>&1
rt_assert_eq "$?" 1 "exit status without an engine"
rt_assert_contains "$RT_TMP/noeng.out" "$RT_TMP/none.sock"
rt_pass
