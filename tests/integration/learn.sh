#!/usr/bin/env bash
# Learning on real Podman containers: nginx's own binary, a binary run with
# `podman exec`, and a binary in a container started after learning began
# all land in the baseline with their hashes; nginx's syscalls (accept4,
# epoll_wait), its access log, and a delete and a rename of image files
# (audit's PATH records, with the overlay rule or not) appear; nothing from a concurrently
# running container of another image, nor from the host, leaks in; the
# counts of new facts are of new ones only; the audit rules are gone
# afterwards; kill -9 leaves a consistent database and the next learner
# removes the rules the dead one left and restores the audit settings.
. "$(dirname "$0")/lib.sh"
rt_setup
rt_audit_lock
command -v curl >/dev/null || rt_skip "curl missing"
podman image exists "$RT_NGINX" || rt_skip "nginx test image missing"
rt_private_image "$RT_NGINX"; img=$RT_IMAGE
rt_private_image "$RT_BUSYBOX2"; other=$RT_IMAGE
port=$(rt_free_port)

# Another image runs a distinctive binary all along: it must not leak.
rt_run other "$other" sh -c 'while true; do /bin/busybox uname >/dev/null; sleep 0.2; done'
# A host binary at a path no container has.
cp /bin/true "$RT_TMP/rtguard-host-marker"

rt_learn_bg 60 "$img"
# nginx starts after learning began: its processes are audited and seen.
RT_RUN_OPTS=$(rt_nginx_site "$port") rt_run web "$img"; id=$RT_ID
rt_learn_wait_attached "$id"
rt_wait_for 15 curl -sf -o /dev/null "http://127.0.0.1:$port/" || rt_fail "nginx did not answer"
for _ in $(seq 30); do curl -s -o /dev/null "http://127.0.0.1:$port/"; "$RT_TMP/rtguard-host-marker"; done
rt_exec web /usr/bin/ls /etc >/dev/null || rt_fail "podman exec ls failed during learning"
# A delete and a rename of image files: no write, so fanotify never sees
# them; audit's PATH records name them, with the overlay rule on or not.
rt_exec web sh -c 'rm /etc/nginx/koi-utf && mv /etc/nginx/win-utf /etc/nginx/win-utf.old' ||
	rt_fail "rm and mv in the container failed"
# Alone with audit here (no auditd), the learner leaves overlay inode
# details out of audit while it runs (learner/rules.c), keyed as its own.
if grep -q "rtguard is the only audit consumer" "$RT_TMP/learn.out"; then
	auditctl -l | grep -q "never,filesystem.*key=rtguard-learn-$RT_LEARN_PID" ||
		{ auditctl -l >&2; rt_fail "the overlay rule is said to be on but is not listed"; }
else
	rt_log "note: the overlay rule is off on this machine: $(grep -o 'audit: .*overlay.*' "$RT_TMP/learn.out" | head -1)"
fi
# A second replica started later still: its exec merges into the baseline.
rt_run web2 "$img" sh -c '/usr/bin/id; exec sleep 300'; id2=$RT_ID
rt_learn_wait_attached "$id2"
for exe in /usr/bin/ls /usr/bin/id; do
	rt_wait_line 15 "$RT_LEARN_PID" "$RT_TMP/learn.out" "learning $exe" "new executable $exe"
done
kill -TERM "$RT_LEARN_PID"
rt_wait_exit "$RT_LEARN_PID" 30 || { cat "$RT_TMP/learn.out" >&2; rt_fail "learn exited non-zero"; }

q() { rt_sql "SELECT $1 FROM executables e JOIN images i ON i.id = e.image WHERE i.ref = '$img' AND e.path = '$2'"; }
for exe in /usr/sbin/nginx /usr/bin/ls /usr/bin/id; do
	sha=$(q sha256 "$exe")
	[ -n "$sha" ] || { rt_sql "SELECT path FROM executables" >&2; rt_fail "$exe not in the baseline"; }
	want=$(sha256sum "$(podman inspect -f '{{.GraphDriver.Data.MergedDir}}' "$id" 9>&-)$exe" | cut -d' ' -f1)
	rt_assert_eq "$sha" "$want" "sha256 of $exe"
	rt_assert_eq "$(q from_image "$exe")" 1 "$exe comes from the image"
done
for nr_name in 288:accept4 232:epoll_wait; do
	[ "$(rt_sql "SELECT count(*) FROM syscalls s JOIN images i ON i.id = s.image WHERE i.ref = '$img' AND s.nr = ${nr_name%%:*}")" = 1 ] ||
		rt_fail "syscall ${nr_name#*:} not learned"
done
[ "$(rt_sql "SELECT count(*) FROM writes w JOIN images i ON i.id = w.image WHERE i.ref = '$img' AND w.path = '/var/log/nginx/access.log'")" = 1 ] ||
	{ rt_sql "SELECT path FROM writes" >&2; rt_fail "the access log write was not learned"; }
for path in /etc/nginx/koi-utf /etc/nginx/win-utf /etc/nginx/win-utf.old; do
	[ "$(rt_sql "SELECT count(*) FROM writes w JOIN images i ON i.id = w.image WHERE i.ref = '$img' AND w.path = '$path'")" = 1 ] ||
		{ rt_sql "SELECT path FROM writes" >&2; rt_fail "the delete or rename of $path was not learned"; }
done
[ "$(rt_sql "SELECT count(*) FROM containers")" -ge 2 ] || rt_fail "both replicas should be recorded"
# No leaks: nothing of the other image, the host marker, or busybox.
[ "$(rt_sql "SELECT count(*) FROM images WHERE ref = '$other'")" = 0 ] || rt_fail "the other image got a baseline"
[ "$(rt_sql "SELECT count(*) FROM executables WHERE path LIKE '%busybox%' OR path LIKE '%rtguard-host-marker%'")" = 0 ] ||
	rt_fail "a foreign executable leaked into the baseline"
rt_assert_eq "$(rt_audit_rules_ours)" 0 "rtguard audit rules left after learn"
# Informational lines are not warnings.
rt_assert_not_contains "$RT_TMP/learn.out" "warning: learning image" "info printed as a warning"
rt_assert_not_contains "$RT_TMP/learn.out" "could not remove" "a bogus rule-removal message"

# The report shows it, in text and JSON.
"$RTGUARD" report --image "$img" >"$RT_TMP/report.txt" || rt_fail "report failed"
rt_assert_contains "$RT_TMP/report.txt" "/usr/sbin/nginx"
rt_assert_contains "$RT_TMP/report.txt" "accept4"
"$RTGUARD" report --json >"$RT_TMP/report.json" || rt_fail "report --json failed"
jq -e --arg img "$img" '.images[] | select(.image == $img) | .executables[] | select(.path == "/usr/sbin/nginx") | .sha256 | length == 64' \
	"$RT_TMP/report.json" >/dev/null || rt_fail "JSON report lacks nginx"

# Learning again what is known: no new facts are counted as new.
rt_learn_bg 4 "$img" --no-progress
rt_learn_wait_attached "$id"
rt_wait_exit "$RT_LEARN_PID" 20 || { cat "$RT_TMP/learn.out" >&2; rt_fail "second learn failed"; }
grep -q "learned 0 new executables" "$RT_TMP/learn.out" ||
	{ cat "$RT_TMP/learn.out" >&2; rt_fail "executables already known were counted as new"; }

# kill -9 during learning: the database stays consistent with what was
# committed, and the next learner removes the dead one's audit rules and
# restores the settings found before it.
settings() { auditctl -s | awk '$1 == "enabled" || $1 == "backlog_limit" || $1 == "backlog_wait_time"'; }
settings >"$RT_TMP/settings.before"
before=$(rt_sql "SELECT count(*) FROM executables")
rt_learn_bg 60 "$img"
rt_learn_wait_attached "$id" "$id2"
[ "$(rt_audit_rules_ours)" -ge 1 ] || rt_fail "a running learner has no audit rule"
kill -KILL "$RT_LEARN_PID"
wait "$RT_LEARN_PID" 2>/dev/null
rt_assert_eq "$(rt_sql 'PRAGMA integrity_check')" ok "integrity after kill -9"
[ "$(rt_sql "SELECT count(*) FROM executables")" -ge "$before" ] || rt_fail "kill -9 lost committed executables"
# The kernel keeps audit rules when their owner dies: without one left
# here, the clean-up checked below would prove nothing.
[ "$(rt_audit_rules_ours)" -ge 1 ] || rt_fail "the killed learner's rules vanished by themselves"
"$RTGUARD" learn --image "$img" --duration 2 --no-progress >"$RT_TMP/learn2.out" 2>&1 || { cat "$RT_TMP/learn2.out" >&2; rt_fail "learn after kill -9 failed"; }
rt_assert_eq "$(rt_audit_rules_ours)" 0 "stale audit rules after the next learn"
rt_assert_contains "$RT_TMP/learn2.out" "removed an audit rule left by a learner that died"
settings >"$RT_TMP/settings.after"
cmp -s "$RT_TMP/settings.before" "$RT_TMP/settings.after" ||
	{ diff "$RT_TMP/settings.before" "$RT_TMP/settings.after" >&2; rt_fail "audit settings not restored after kill -9"; }
rt_pass
