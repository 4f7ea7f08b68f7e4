#!/usr/bin/env bash
# Enforcement on real Podman containers, after a real learn run, attached
# to containers that were already running (no hook: the late path):
# learned commands and traffic still work with zero denials; a copied-in
# binary, a modified image binary, a #! script dropped in /tmp and an image
# binary never seen in learning are refused; writes to /usr/bin/x and
# /etc/passwd are refused while the learned log writes and /tmp writes
# work; --monitor denies nothing and alerts the same decisions (writes
# included); a container of an image without baseline is untouched; after
# rtguard stops, everything runs as before.
. "$(dirname "$0")/lib.sh"
rt_setup
rt_audit_lock
command -v curl >/dev/null || rt_skip "curl missing"

rt_run web "$RT_NGINX"; web=$RT_ID
rt_run bb "$RT_BUSYBOX" sleep 600
rt_wait_for 15 curl -sf -o /dev/null http://127.0.0.1:8080/ || rt_fail "nginx did not answer"

# The workload the application really runs, during learning.
workload() {
	for i in $(seq 20); do curl -sf -o /dev/null http://127.0.0.1:8080/ || return 1; done
	rt_exec web sh -c 'head -1 /etc/hostname >/dev/null && ls / >/dev/null && echo ok > /tmp/work.txt'
}
rt_learn_bg 30 rtguard-nginx
rt_learn_wait_attached "$web"
workload || rt_fail "the workload failed during learning"
rt_exec web cat /etc/os-release >/dev/null	# learned, then modified below
# Learned too: rm, chmod, and one write under /etc (kept writable).
rt_exec web sh -c 'rm -f /tmp/none; chmod 600 /tmp/work.txt; echo x > /etc/nginx/learned.conf'
kill -INT "$RT_LEARN_PID"
rt_wait_exit "$RT_LEARN_PID" 20 || { cat "$RT_TMP/learn.out" >&2; rt_fail "learn failed"; }

# Drift prepared before enforcement starts (cp and chmod run unenforced).
rt_exec web sh -c 'cp /usr/bin/ls /tmp/ls2 && chmod 755 /tmp/ls2 &&
	printf "#!/bin/sh\necho evil\n" > /tmp/evil.sh && chmod +x /tmp/evil.sh &&
	echo >> /usr/bin/cat' ||
	rt_fail "could not prepare the drift"

expect() {	# expect deny|allow DESCRIPTION CMD...
	local want=$1 what=$2 out rc; shift 2
	out=$(rt_exec web "$@" 2>&1); rc=$?
	if [ "$want" = deny ]; then
		[ $rc -ne 0 ] || rt_fail "$what: expected a refusal, it succeeded"
		case "$out" in *"ermission denied"*|*"not permitted"*|*"Read-only file system"*) ;;
		*) rt_fail "$what: failed without EPERM, EACCES or EROFS: $out" ;; esac
	else
		[ $rc -eq 0 ] || rt_fail "$what: expected to work, got rc $rc: $out"
	fi
}
checks() {
	local d=$1	# deny or allow
	workload || { cat "$RT_TMP"/enforce-*.out "$RT_TMP"/alerts-*.jsonl >&2
		rt_fail "the learned workload failed under enforcement ($d)"; }
	expect "$d" "copied-in binary" /tmp/ls2 /
	expect "$d" "modified image binary" /usr/bin/cat /etc/hostname
	expect "$d" "#! script in /tmp" /tmp/evil.sh
	expect "$d" "image binary never learned" /usr/bin/id
	expect "$d" "write to /usr/bin/x" sh -c 'echo x > /usr/bin/x'
	expect "$d" "append to /etc/passwd" sh -c 'echo x >> /etc/passwd'
	expect allow "write under /tmp" sh -c 'echo y > /tmp/free.txt'
	expect allow "the learned write under /etc" sh -c 'echo y > /etc/nginx/learned.conf'
	# The busybox container has no baseline: untouched.
	podman exec "$(rt_cname bb)" sh -c 'mkdir -p /tmp/d && cp /bin/busybox /tmp/d/busybox && /tmp/d/busybox true && echo z > /etc/z' 9>&- ||
		rt_fail "a container without baseline was affected"
}

# --- protect -------------------------------------------------------------
rt_enforce_bg protect --force	# a 30 s learn is not ready: protect it anyway
rt_wait_protected protect "$web"
checks deny
rt_enforce_stop protect
a=protect
# fanotify decides these, so each is one record (kernel-refused routes are
# counted by the observer; see enforce-records.sh).
for p in /usr/bin/cat /usr/bin/id; do
	rt_alerted $a ".path == \"$p\" and .decision == \"denied\"" ||
		{ cat "$RT_TMP/alerts-$a.jsonl" >&2; rt_fail "no denied alert line for $p"; }
done
rt_alerted $a '.path == "/usr/bin/cat" and (.reason | test("drift"))' || rt_fail "the modified binary is not reported as drift"
[ "$(rt_sql "SELECT count(*) FROM events WHERE action = 0")" -ge 2 ] || rt_fail "denials not in the store"
# Nothing learned was denied.
for p in /usr/sbin/nginx /usr/bin/ls /usr/bin/dash /usr/bin/head /var/log/nginx/access.log /tmp/work.txt; do
	[ "$(rt_sql "SELECT count(*) FROM events WHERE path = '$p'")" = 0 ] || rt_fail "learned $p was denied"
done

# After rtguard stops: everything runs as before, nothing is read-only.
expect allow "never-learned binary after stop" /usr/bin/id
expect allow "copied binary after stop" /tmp/ls2 /
rt_exec web sh -c 'echo x > /usr/bin/x && rm /usr/bin/x' || rt_fail "/usr still read-only after stop"

# --- monitor -------------------------------------------------------------
rt_enforce_bg monitor --monitor
rt_wait_protected monitor "$web"
checks allow
# A user and mount namespace of its own, and a tmpfs mounted in it: what
# protect mode kills (enforce-routes.sh) monitor mode lets through.
out=$(rt_exec web unshare -U -r -m perl -e 'my ($s, $d, $t) = ("t", "/mnt", "tmpfs");
	syscall(165, $s, $d, $t, 0, 0) == 0 or die "mount: $!\n"; print "mounted\n"' 2>&1)
[ "$out" = mounted ] || rt_fail "monitor mode: a new user and mount namespace failed ($out)"
sleep 1	# write notifications are asynchronous
rt_enforce_stop monitor
a=monitor
for p in /tmp/ls2 /usr/bin/cat /tmp/evil.sh /usr/bin/id /usr/bin/x /etc/passwd; do
	rt_alerted $a ".path == \"$p\" and .decision == \"alerted\"" ||
		{ cat "$RT_TMP/alerts-$a.jsonl" >&2; rt_fail "no alerted line for $p in monitor mode"; }
done
jq -se 'all(.[]; .decision != "denied")' "$RT_TMP/alerts-$a.jsonl" >/dev/null || rt_fail "monitor mode denied something"
! rt_alerted $a '.path == "/etc/nginx/learned.conf"' || rt_fail "monitor alerted a learned write"
[ "$(rt_sql "SELECT count(*) FROM events WHERE action = 1")" -ge 6 ] || rt_fail "monitor events not recorded"

# The report shows the denials and alerts.
"$RTGUARD" report --image rtguard-nginx >"$RT_TMP/report.txt" || rt_fail "report failed"
rt_assert_contains "$RT_TMP/report.txt" "/usr/bin/cat"
"$RTGUARD" report --json | jq -e '[.events[] | select(.decision == "alerted" and .type == "write")] | length >= 2' >/dev/null ||
	rt_fail "JSON report lacks the monitor-mode write alerts"
rt_pass
