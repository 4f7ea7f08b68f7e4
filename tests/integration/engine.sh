#!/usr/bin/env bash
# A stopped engine never stops rtguard's loop, and never costs a container
# its protection: `containers --watch` against Podman API services of this
# test's own, one of them SIGSTOPped.
#
# A single stopped service announces nothing, so "announced but cannot be
# described" needs two: the watch's events stream stays on service A (the
# connection it made at start), while every later connection reaches
# service B through the socket path the watch was given (a symlink, moved
# from A to B). With B stopped, a container that starts is announced by A
# but its inspect hangs: the watch reports it unresolved (after the 5 s
# request timeout) and retries; it still handles another container's stop
# meanwhile, is resolved and attached once B runs again, and exits at once
# on SIGTERM while an inspect hangs. With both services stopped, a
# container started meanwhile is attached after they resume; with the
# stream's service gone and no engine at the path, a container started
# meanwhile is found by the rescan once an engine answers again.
#
# Only services started here are ever stopped; cleanup resumes them first.
. "$(dirname "$0")/lib.sh"
rt_setup

svc_a='' svc_b=''
_engine_cleanup() {
	local rc=$?
	[ -z "$svc_a" ] || kill -CONT "$svc_a" 2>/dev/null
	[ -z "$svc_b" ] || kill -CONT "$svc_b" 2>/dev/null
	(exit $rc)
	_rt_cleanup
}
trap _engine_cleanup EXIT

sock=$RT_TMP/engine.sock
out=$RT_TMP/watch.out
seen() { grep -q -- "$1" "$out"; }
gone() { ! kill -0 "$1" 2>/dev/null; }
show() { sed 's/^/  | /' "$out" >&2; }

rt_api_service a; svc_a=$RT_BG_PID
rt_api_service b; svc_b=$RT_BG_PID
rt_api_point a

rt_run known "$RT_BUSYBOX2" sleep 300; known=$RT_ID
rt_bg "$out" "$RTGUARD" containers --watch --image rtguard-busybox2 --runtime-socket "$sock" --duration 150 -v
watch=$RT_BG_PID
rt_wait_for 10 seen "^start $known $RT_BUSYBOX2" || { show; rt_fail "the running container was not listed"; }
# Let the second listing (made once the stream answered) finish on A.
sleep 1

# (a) Announced by A, inspected on stopped B: unresolved, not dropped.
rt_api_point b
kill -STOP "$svc_b"
rt_run late "$RT_BUSYBOX2" sleep 300; late=$RT_ID
rt_wait_for 15 seen "^unresolved $late .*not yet resolved" ||
	{ show; rt_fail "a container whose inspect hangs was not reported unresolved"; }
seen "^start $late" && { show; rt_fail "$late attached while its engine is stopped"; }

# (b) The loop runs on: a known container's stop is handled meanwhile.
rt_stop known
rt_wait_for 5 seen "^stop $known" || { show; rt_fail "a stop was not handled while an inspect hung"; }
seen "^start $late" && { show; rt_fail "$late attached while its engine is stopped"; }

# (a) B runs again: the retried inspect resolves and attaches it.
kill -CONT "$svc_b"
rt_wait_for 20 seen "^start $late $RT_BUSYBOX2" ||
	{ show; rt_fail "$late was not attached once its engine ran again"; }

# Both stopped: the start is announced late, then attached.
kill -STOP "$svc_a" "$svc_b"
rt_run mid "$RT_BUSYBOX2" sleep 300; mid=$RT_ID
sleep 2
seen "$mid" && { show; rt_fail "$mid seen while every engine is stopped"; }
kill -CONT "$svc_a" "$svc_b"
rt_wait_for 20 seen "^start $mid $RT_BUSYBOX2" ||
	{ show; rt_fail "$mid, started while the engine was stopped, was not attached"; }

# The stream breaks and no engine answers for a while: once one does, the
# watch reconnects and its rescan finds what started in between.
rt_api_service c
rt_api_point none
kill -TERM "$svc_a"
rt_wait_for 10 gone "$svc_a" || kill -KILL "$svc_a"
svc_a=''
rt_wait_for 10 seen "events stream.*reconnecting" || { show; rt_fail "the broken stream was not reported"; }
rt_run gap "$RT_BUSYBOX2" sleep 300; gap=$RT_ID
sleep 1
rt_api_point c
rt_wait_for 20 seen "^start $gap $RT_BUSYBOX2" ||
	{ show; rt_fail "$gap, started while the stream was down, was not found by the rescan"; }
seen "events stream restored; rescanning" || { show; rt_fail "no rescan after the stream came back"; }

# (b) SIGTERM is handled at once while an inspect hangs (stream on C).
rt_api_point b
kill -STOP "$svc_b"
rt_run third "$RT_BUSYBOX2" sleep 300; third=$RT_ID
rt_wait_for 15 seen "^unresolved $third " || { show; rt_fail "$third was not reported unresolved"; }
sleep 1	# the retry (after 0.25 s) is hanging now
kill -TERM "$watch"
rt_wait_exit "$watch" 2 || { show; rt_fail "containers --watch failed on SIGTERM"; }
kill -CONT "$svc_b"
show
rt_pass
