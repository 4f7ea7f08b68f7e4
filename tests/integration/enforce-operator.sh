#!/usr/bin/env bash
# What enforcement does to the operator's and the engine's state, and to
# containers that could undo it:
# - an operator's read-only volume inside a protected directory and a
#   writable volume stay as they were once rtguard stops (only rtguard's
#   own mounts are removed); while it runs, the writable volume stays
#   writable but nothing on it runs;
# - a container with CAP_SYS_ADMIN, and a --privileged one, are reported
#   as not fully protectable: alert line, log, `rtguard containers`;
# - after a kill -9 of the enforcer its mounts stay (the safe side), the
#   next enforcer reports the gap, takes them over, and removes them on a
#   clean stop.
. "$(dirname "$0")/lib.sh"
rt_setup
rt_audit_lock

mkdir -p "$RT_TMP/conf" "$RT_TMP/data"
echo operator >"$RT_TMP/conf/setting"
RT_RUN_OPTS="-v $RT_TMP/conf:/etc/conf:ro -v $RT_TMP/data:/data"
rt_run op "$RT_BUSYBOX" sleep 600; op=$RT_ID
RT_RUN_OPTS="--cap-add SYS_ADMIN"
rt_run adm "$RT_BUSYBOX" sleep 600; adm=$RT_ID
RT_RUN_OPTS="--privileged"
rt_run priv "$RT_BUSYBOX" sleep 600; priv=$RT_ID
RT_RUN_OPTS=
rt_learn_bg 30 rtguard-busybox
rt_wait_for 15 grep -q "attached to container ${op:0:12}" "$RT_TMP/learn.out" ||
	{ cat "$RT_TMP/learn.out" >&2; rt_fail "the learner did not attach"; }
rt_exec op sh -c 'cat /etc/conf/setting >/dev/null; echo x > /data/x'
kill -INT "$RT_LEARN_PID"
rt_wait_exit "$RT_LEARN_PID" 20 || { cat "$RT_TMP/learn.out" >&2; rt_fail "learn failed"; }

flags() {	# flags CONTAINER MOUNTPOINT: the options of the top mount there
	rt_exec "$1" cat /proc/self/mountinfo | awk -v m="$2" '$5 == m { o = $6 } END { print o }'
}
before_conf=$(flags op /etc/conf)
before_data=$(flags op /data)

rt_enforce_bg one --force	# a 30 s learn is not ready: protect it anyway
rt_wait_protected one "$op"
# The writable volume: writable, and nothing on it runs.
rt_exec op sh -c 'echo y > /data/y' || rt_fail "the writable volume is no longer writable"
out=$(rt_exec op sh -c 'cp /bin/busybox /data/true && /data/true' 2>&1) && rt_fail "a binary ran from a volume"
grep -q 'Permission denied' <<<"$out" || rt_fail "exec from the volume failed, but not by noexec: $out"
rt_exec op sh -c 'echo z > /etc/z' 2>/dev/null && rt_fail "/etc is writable"
# Containers that can undo the mounts: reported, loudly.
for c in "$adm" "$priv"; do
	rt_wait_for 20 grep -q "container ${c:0:12} .*not fully protectable" "$RT_TMP/enforce-one.out" ||
		{ cat "$RT_TMP/enforce-one.out" >&2; rt_fail "${c:0:12} with CAP_SYS_ADMIN not reported"; }
	rt_alerted one ".type == \"attach\" and .container == \"$c\" and (.reason | test(\"CAP_SYS_ADMIN\"))" ||
		rt_fail "no alert line for ${c:0:12}"
done
"$RTGUARD" containers >"$RT_TMP/containers.txt" || rt_fail "rtguard containers failed"
grep -q "^${adm:0:12} .*not fully protectable" "$RT_TMP/containers.txt" ||
	{ cat "$RT_TMP/containers.txt" >&2; rt_fail "rtguard containers does not show the unprotectable container"; }
grep -q "^${op:0:12} .*protected" "$RT_TMP/containers.txt" || rt_fail "rtguard containers does not show the protected one"

# kill -9: the mounts stay; nothing is left unprotected in between.
kill -KILL "$RT_ENF_PID"
wait "$RT_ENF_PID" 2>/dev/null
rt_exec op sh -c 'echo z > /etc/z' 2>/dev/null && rt_fail "/etc became writable when the enforcer died"
rt_enforce_bg two --force
rt_wait_protected two "$op"
grep -q "container ${op:0:12} .*taken over from the previous enforcer" "$RT_TMP/enforce-two.out" ||
	{ cat "$RT_TMP/enforce-two.out" >&2; rt_fail "the second enforcer did not take the mounts over"; }
rt_alerted two '.type == "gap"' || rt_fail "no gap line after the kill -9"
rt_exec op sh -c 'echo z > /etc/z' 2>/dev/null && rt_fail "/etc is writable under the second enforcer"
rt_enforce_stop two

# After a clean stop: rtguard's mounts are all gone, the operator's remain.
rt_exec op sh -c 'echo z > /etc/z && rm /etc/z' || rt_fail "/etc still read-only after the clean stop"
rt_exec op /data/true || rt_fail "the volume is still noexec after the stop"
[ "$(flags op /etc/conf)" = "$before_conf" ] || rt_fail "the operator's /etc/conf changed: $(flags op /etc/conf) vs $before_conf"
[ "$(flags op /data)" = "$before_data" ] || rt_fail "the operator's /data changed: $(flags op /data) vs $before_data"
rt_exec op cat /etc/conf/setting | grep -qx operator || rt_fail "the operator's read-only volume is gone"
n=$(rt_exec op cat /proc/self/mountinfo | awk '$5 == "/etc/conf"' | wc -l)
[ "$n" = 1 ] || rt_fail "expected exactly the operator's mount at /etc/conf, found $n"
rt_pass
