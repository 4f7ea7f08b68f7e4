#!/usr/bin/env bash
# Learning on a host where auditd holds the audit pid, as on a real
# server: rtguard reads a copy of the records through the multicast group
# and adds only its own keyed rules (not the overlay rule, which would
# change auditd's records). The baseline gets the container's
# startup syscalls; auditd keeps running and logging (its own watch still
# fires); afterwards its rules are all there and only those, and every
# setting (enabled, pid, backlog limit, backlog wait time) is as found.
. "$(dirname "$0")/lib.sh"
rt_setup
rt_audit_lock
[ -x /sbin/auditd ] || rt_skip "auditd is not installed (apt-get install auditd)"
command -v curl >/dev/null || rt_skip "curl missing"
podman image exists "$RT_NGINX" || rt_skip "nginx test image missing"
st() { auditctl -s | awk -v k="$1" '$1 == k { print $2 }'; }
held=$(st pid)
if [ -n "$held" ] && [ "$held" != 0 ] && kill -0 "$held" 2>/dev/null; then
	rt_skip "audit is held by pid $held already; this test starts an auditd of its own"
fi

# Settings before the test, restored whatever happens.
orig_enabled=$(st enabled) orig_backlog=$(st backlog_limit) orig_wait=$(st backlog_wait_time)
rt_at_exit "auditctl -e $orig_enabled; auditctl -b $orig_backlog; auditctl --backlog_wait_time $orig_wait"

# An auditd of our own, logging into the test's directory.
conf=$RT_TMP/auditd
mkdir -p "$conf/plugins.d"
cat >"$conf/auditd.conf" <<CONF
local_events = yes
write_logs = yes
log_file = $conf/audit.log
log_format = RAW
flush = INCREMENTAL_ASYNC
freq = 1
max_log_file = 64
num_logs = 2
max_log_file_action = ROTATE
space_left = 16
space_left_action = IGNORE
admin_space_left = 8
admin_space_left_action = IGNORE
disk_full_action = IGNORE
disk_error_action = IGNORE
plugin_dir = $conf/plugins.d
end_of_event_timeout = 2
CONF
chmod 0640 "$conf/auditd.conf"
rt_bg "$RT_TMP/auditd.out" /sbin/auditd -n -c "$conf"
auditd_pid=$RT_BG_PID
rt_wait_for 10 sh -c "[ \"\$(auditctl -s | awk '\$1 == \"pid\" { print \$2 }')\" = $auditd_pid ]" ||
	{ cat "$RT_TMP/auditd.out" >&2; rt_fail "auditd did not take the audit pid"; }
# Debian's audit.rules settings, and one rule of auditd's own.
auditctl -b 8192 >/dev/null && auditctl --backlog_wait_time 60000 >/dev/null || rt_fail "auditctl settings"
touch "$RT_TMP/watched"
auditctl -w "$RT_TMP/watched" -p wa -k rtt-auditd-watch >/dev/null || rt_fail "auditctl -w"
rt_at_exit "auditctl -W '$RT_TMP/watched' -p wa -k rtt-auditd-watch"
auditctl -l >"$RT_TMP/rules.before"
for k in enabled pid backlog_limit backlog_wait_time; do echo "$k $(st $k)"; done >"$RT_TMP/status.before"

rt_hooks_setup
rt_private_image "$RT_NGINX"; img=$RT_IMAGE
port=$(rt_free_port)
rt_learn_bg 20 "$img"
rt_assert_contains "$RT_TMP/learn.out" "audit is held by pid $auditd_pid" "multicast mode said"
RT_RUN_OPTS=$(rt_nginx_site "$port") rt_run web "$img"; id=$RT_ID
rt_learn_wait_attached "$id"
rt_wait_for 15 curl -sf -o /dev/null "http://127.0.0.1:$port/" || rt_fail "nginx did not answer"
for _ in $(seq 20); do curl -s -o /dev/null "http://127.0.0.1:$port/"; done
# Beside auditd, no rule of rtguard's may change what auditd records for
# other processes: the overlay rule (learner/rules.c) stays off.
auditctl -l | grep -q "never,filesystem.*key=rtguard" &&
	{ auditctl -l >&2; rt_fail "the overlay rule was added beside auditd"; }
kill -TERM "$RT_LEARN_PID"
rt_wait_exit "$RT_LEARN_PID" 30 || { cat "$RT_TMP/learn.out" >&2; rt_fail "learn beside auditd failed"; }

key=$(rt_sql "SELECT id FROM images WHERE ref = '$img'")
for nr_name in 41:socket 49:bind 50:listen 288:accept4; do
	[ "$(rt_sql "SELECT count(*) FROM syscalls WHERE image = $key AND arch = 3221225534 AND nr = ${nr_name%%:*}")" = 1 ] ||
		{ cat "$RT_TMP/learn.out" >&2; rt_fail "syscall ${nr_name#*:} not learned beside auditd"; }
done
rt_assert_eq "$(rt_sql "SELECT count(*) FROM executables WHERE image = $key AND path = '/usr/sbin/nginx'")" 1 "nginx's exec"

# auditd is untouched: running, its rule and settings as found, logging.
kill -0 "$auditd_pid" 2>/dev/null || rt_fail "auditd died"
auditctl -l >"$RT_TMP/rules.after"
cmp -s "$RT_TMP/rules.before" "$RT_TMP/rules.after" ||
	{ diff "$RT_TMP/rules.before" "$RT_TMP/rules.after" >&2; rt_fail "audit rules differ from those found"; }
for k in enabled pid backlog_limit backlog_wait_time; do echo "$k $(st $k)"; done >"$RT_TMP/status.after"
cmp -s "$RT_TMP/status.before" "$RT_TMP/status.after" ||
	{ diff "$RT_TMP/status.before" "$RT_TMP/status.after" >&2; rt_fail "audit settings differ from those found"; }
echo x >>"$RT_TMP/watched"
rt_wait_for 10 grep -q 'key="rtt-auditd-watch"' "$conf/audit.log" ||
	{ tail -5 "$conf/audit.log" >&2; rt_fail "auditd no longer logs its own rule's records"; }
rt_pass
