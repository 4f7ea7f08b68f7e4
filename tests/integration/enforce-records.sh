#!/usr/bin/env bash
# What enforcement records, and that recording never stalls a container:
# - a short-lived denied process is recorded with its real exe, pid, ppid
#   and comm, read before the answer let it exit;
# - a storm of 1500 denied execs from one loop gives a few aggregated
#   records whose counts add up to 1500 exactly, in the store and in the
#   alert lines;
# - with --alerts on a FIFO whose reader is stopped, a storm of refusals
#   of distinct binaries and the learned workload keep completing in
#   bounded time, and the lines that did not fit are shed and counted.
. "$(dirname "$0")/lib.sh"
rt_setup
rt_audit_lock
rt_hooks_setup

rt_run web "$RT_NGINX" sleep 3600; web=$RT_ID
rt_learn_bg 30 rtguard-nginx
rt_learn_wait_attached "$web"
rt_exec web sh -c 'ls / >/dev/null; cat /etc/hostname >/dev/null; perl -e 1' || rt_fail "workload"
kill -INT "$RT_LEARN_PID"
rt_wait_exit "$RT_LEARN_PID" 20 || { cat "$RT_TMP/learn.out" >&2; rt_fail "learn failed"; }
rt_stop web
rt_run web "$RT_NGINX" sleep 3600; web=$RT_ID

# --- true records, aggregated storms --------------------------------------
rt_enforce_bg rec --force	# a 30 s learn is not ready: protect it anyway
rt_wait_protected rec "$web"
a=rec
# A child of sh that dies at once: exe, ppid and comm are its own.
rt_exec web sh -c '/usr/bin/whoami; exit 0' >/dev/null 2>&1
rt_wait_for 5 rt_alerted $a '.path == "/usr/bin/whoami"' || rt_fail "no record of whoami"
jq -se '[.[] | select(.path == "/usr/bin/whoami")][0] |
	.exe == "/usr/bin/dash" and .comm == "sh" and .pid > 1 and .ppid > 1 and .pid != .ppid' \
	"$RT_TMP/alerts-$a.jsonl" >/dev/null ||
	{ grep whoami "$RT_TMP/alerts-$a.jsonl" >&2; rt_fail "the short-lived process was recorded without its exe, comm or ppid"; }
# 1500 refusals of one binary.
out=$(rt_exec web sh -c 'i=0; f=0; while [ $i -lt 1500 ]; do /usr/bin/id >/dev/null 2>&1 || f=$((f+1)); i=$((i+1)); done; echo $f')
[ "$out" = 1500 ] || rt_fail "the storm: $out refusals of 1500"
rt_enforce_stop rec	# closes the aggregation windows
total=$(jq -s '[.[] | select(.path == "/usr/bin/id") | .count] | add' "$RT_TMP/alerts-$a.jsonl")
lines=$(jq -s '[.[] | select(.path == "/usr/bin/id")] | length' "$RT_TMP/alerts-$a.jsonl")
rt_assert_eq "$total" 1500 "denied execs counted in the alert lines"
[ "$lines" -le 5 ] || rt_fail "1500 refusals gave $lines alert lines (not aggregated)"
rt_assert_eq "$(rt_sql "SELECT sum(count) FROM events WHERE path = '/usr/bin/id'")" 1500 "denied execs counted in the store"
[ "$(rt_sql "SELECT count(*) FROM events WHERE path = '/usr/bin/id'")" -le 5 ] || rt_fail "1500 refusals gave more than 5 records"
rt_sql "SELECT count FROM events WHERE path = '/usr/bin/id' AND count > 1" | grep -q . || rt_fail "no aggregated record"

# --- an alert reader that stops reading ----------------------------------
mkfifo "$RT_TMP/alerts.fifo"
# Opened read-write, the reader holds the FIFO open without waiting for a
# writer, so it stays open while the reader is stopped.
cat 0<>"$RT_TMP/alerts.fifo" >/dev/null &
reader=$!
_rt_pids+=("$reader")
sleep 0.2
kill -STOP "$reader"
RTGUARD_ALERT_QUEUE_KB=16 rt_bg "$RT_TMP/enforce-fifo.out" "$RTGUARD" enforce --alerts "$RT_TMP/alerts.fifo" --force -v
RT_ENF_PID=$RT_BG_PID
rt_wait_protected fifo "$web"
# Refusals of every binary of the image, each its own record and line,
# far more than the FIFO and the queue hold.
start=$(date +%s)
rt_exec web sh -c 'for r in 1 2 3; do for f in /usr/bin/* /usr/sbin/*; do "$f" --version >/dev/null 2>&1 </dev/null; done; done' &
storm=$!
_rt_pids+=("$storm")
# Meanwhile the learned workload runs, and not slowly.
for i in 1 2 3 4 5; do
	t0=$(date +%s%N)
	rt_exec web perl -e 1 || rt_fail "the learned perl failed during the storm"
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	[ "$ms" -lt 5000 ] || rt_fail "a learned exec took ${ms} ms with the alert reader stopped"
done
rt_wait_exit "$storm" 120 || true
[ $(( $(date +%s) - start )) -lt 120 ] || rt_fail "the storm did not complete with the alert reader stopped"
rt_enforce_stop fifo
kill -CONT "$reader"
shed=$(sed -n 's/.* \([0-9]*\) alert lines shed.*/\1/p' "$RT_TMP/enforce-fifo.out")
[ -n "$shed" ] && [ "$shed" -gt 0 ] || { tail -3 "$RT_TMP/enforce-fifo.out" >&2; rt_fail "no alert lines were counted as shed"; }
rt_log "$shed alert lines shed while the reader was stopped"
# Shed lines, not shed records: the store has them all.
[ "$(rt_sql "SELECT count(DISTINCT path) FROM events WHERE container_id = '$web' AND time_ms > $((start * 1000))")" -gt 100 ] ||
	rt_fail "the storm's refusals are not in the store"
rt_pass
