#!/usr/bin/env bash
# A stopped engine stalls no permission answer: while the Podman API
# service that `rtguard enforce` asks is SIGSTOPped and an unrelated
# container starts (so the enforcer has an inspect hanging), a storm of
# first execs of unlearned binaries (denied) in a protected container
# completes about as fast as without the stall (before the engine client
# went asynchronous, it waited out the 5 s inspect timeout), and the
# unrelated container is an "attach" alert until the service resumes.
#
# The storm runs once the enforcer logs that it is inspecting the new
# container, i.e. inside the 5 s the inspect hangs. As in engine.sh, the
# events stream stays on service A while new connections reach service B
# through a moved symlink: a single stopped service would announce
# nothing. Only services started here are stopped.
. "$(dirname "$0")/lib.sh"
rt_setup
rt_audit_lock

# An image name of this test's own: the enforcer protects only its
# container, not every nginx container on the machine.
img=localhost/rtguard-engine-stall:test
podman tag "$RT_NGINX" "$img" || rt_fail "podman tag failed"
svc_a='' svc_b=''
_stall_cleanup() {
	local rc=$?
	[ -z "$svc_a" ] || kill -CONT "$svc_a" 2>/dev/null
	[ -z "$svc_b" ] || kill -CONT "$svc_b" 2>/dev/null
	podman untag "$img" "$img" >/dev/null 2>&1
	(exit $rc)
	_rt_cleanup
}
trap _stall_cleanup EXIT

sock=$RT_TMP/engine.sock
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# storm BINARY...: the first exec of each never-learned image binary, so
# each needs a decision in user space (a repeated denial may not: the
# kernel can refuse it without asking again).
storm() {
	rt_exec app sh -c "for b in $*; do /usr/bin/\$b --version </dev/null >/dev/null 2>&1; done"
}
set_quiet="id whoami uname date env nproc tty groups logname basename dirname expr factor hostid md5sum sha1sum sum tac tr wc"
set_stalled="who seq sort uniq cut head tail paste fold od pwd stat tee b2sum base32 base64 cksum comm du nl"

rt_api_service a; svc_a=$RT_BG_PID
rt_api_service b; svc_b=$RT_BG_PID
rt_api_point a

# nginx's image has distinct binaries (busybox's are all one inode).
rt_run app "$img" sleep 600; app=$RT_ID
rt_learn_bg 6 rtguard-engine-stall --runtime-socket "$sock"
sleep 2
rt_exec app sh -c 'ls / >/dev/null; cat /etc/hostname >/dev/null'
rt_wait_exit "$RT_LEARN_PID" 20 || { cat "$RT_TMP/learn.out" >&2; rt_fail "learn failed"; }

alerts=$RT_TMP/alerts.jsonl
rt_bg "$RT_TMP/enforce.out" "$RTGUARD" enforce --image rtguard-engine-stall --alerts "$alerts" \
	--runtime-socket "$sock" --duration 90 --force -v -v
enf=$RT_BG_PID
# "[enforcing ]container ID (image, mode): protection"
rt_wait_for 20 grep -q "container ${app:0:12} (" "$RT_TMP/enforce.out" ||
	{ cat "$RT_TMP/enforce.out" >&2; rt_fail "enforce did not attach"; }
rt_exec app /usr/bin/readlink / >/dev/null 2>&1 && rt_fail "the unlearned /usr/bin/readlink was not denied"

t0=$(now_ms); storm $set_quiet; quiet=$(($(now_ms) - t0))

rt_api_point b
kill -STOP "$svc_b"
rt_run other "$RT_BUSYBOX2" sleep 300; other=$RT_ID
rt_wait_for 10 grep -q "container ${other:0:12}: inspecting" "$RT_TMP/enforce.out" ||
	{ cat "$RT_TMP/enforce.out" >&2; rt_fail "the enforcer did not start inspecting ${other:0:12}"; }
t0=$(now_ms); storm $set_stalled; stalled=$(($(now_ms) - t0))
rt_log "20 denied first execs: ${quiet} ms quiet, ${stalled} ms with an inspect hanging"
[ "$stalled" -lt $((quiet + 2500)) ] ||
	{ cat "$RT_TMP/enforce.out" >&2; rt_fail "the storm took ${stalled} ms with the engine stopped (${quiet} ms quiet)"; }

# The unrelated container is an alert while it cannot be inspected.
rt_wait_for 15 jq -se --arg id "$other" \
	'any(.[]; .type == "attach" and .container == $id and (.reason | test("not yet resolved")))' "$alerts" ||
	{ cat "$alerts" "$RT_TMP/enforce.out" >&2; rt_fail "no alert for the container that cannot be inspected"; }
kill -CONT "$svc_b"
rt_wait_for 20 grep -q "container ${other:0:12} resolved" "$RT_TMP/enforce.out" ||
	{ cat "$RT_TMP/enforce.out" >&2; rt_fail "${other:0:12} was not resolved once the engine ran again"; }
kill -0 "$enf" 2>/dev/null || rt_fail "enforce exited"
rt_pass
