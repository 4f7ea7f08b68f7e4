#!/usr/bin/env bash
# Overload: an audit record storm beyond what the learner takes in (the
# learner is stopped with SIGSTOP while the host runs thousands of short
# processes) must not slow the audited processes to a halt: the kernel
# drops records instead of making them wait, the learner counts them as
# lost, reports them in its summary and the store, and exits cleanly.
. "$(dirname "$0")/lib.sh"
rt_setup
rt_audit_lock

wait_before=$(auditctl -s | awk '/^backlog_wait_time /{print $2}')
rt_run app "$RT_BUSYBOX" sleep 600
rt_learn_bg 25 rtguard-busybox
rt_learn_wait_attached "$RT_ID"
kill -STOP "$RT_LEARN_PID"
# 3000 processes, ~40 audited syscalls each, while nobody reads: far more
# than the 8192-record backlog. Bounded: it must finish in 60 s.
start=$(date +%s)
timeout 60 bash -c 'for i in $(seq 3000); do /bin/true; done' ||
	{ kill -CONT "$RT_LEARN_PID"; rt_fail "the host storm stalled while the learner was stopped"; }
took=$(( $(date +%s) - start ))
rt_log "storm of 3000 processes took ${took}s with the learner stopped"
kill -CONT "$RT_LEARN_PID"
rt_wait_exit "$RT_LEARN_PID" 40 || { cat "$RT_TMP/learn.out" >&2; rt_fail "learn failed after the storm"; }
lost=$(sed -n 's/.*audit records, \([0-9]*\) lost by the kernel.*/\1/p' "$RT_TMP/learn.out")
[ -n "$lost" ] || { cat "$RT_TMP/learn.out" >&2; rt_fail "no lost count in the summary"; }
[ "$lost" -gt 0 ] || { cat "$RT_TMP/learn.out" >&2; rt_fail "the storm lost no records: the test did not overload audit"; }
stored=$(rt_sql "SELECT audit_lost FROM images WHERE ref = '$RT_BUSYBOX'")
rt_assert_eq "$stored" "$lost" "lost count stored for the report"
"$RTGUARD" report --image rtguard-busybox >"$RT_TMP/report.txt"
rt_assert_contains "$RT_TMP/report.txt" "audit records lost  $lost"
rt_assert_eq "$(rt_audit_rules_ours)" 0 "audit rules after the storm"
rt_assert_eq "$(auditctl -s | awk '/^backlog_wait_time /{print $2}')" "$wait_before" "backlog wait time restored"
rt_pass
