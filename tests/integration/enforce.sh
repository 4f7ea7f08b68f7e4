#!/usr/bin/env bash
# Enforcement on real Podman containers, after a real learn run:
# learned commands and traffic still work with zero denials; a copied-in
# binary, a modified image binary, a #! script dropped in /tmp and an image
# binary never seen in learning are denied with EPERM; writes to
# /usr/bin/x and /etc/passwd are denied while the learned log writes and
# /tmp writes work; --monitor denies nothing and records the same events;
# a container of an image without baseline is untouched; after rtguard
# stops, everything runs as before.
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
rt_learn_bg 8 rtguard-nginx
rt_learn_wait_attached "$web"
workload || rt_fail "the workload failed during learning"
rt_exec web cat /etc/os-release >/dev/null	# learned, then modified below
# Learned too: rm, chmod, and one write under /etc (kept writable).
rt_exec web sh -c 'rm -f /tmp/none; chmod 600 /tmp/work.txt; echo x > /etc/nginx/learned.conf'
rt_wait_exit "$RT_LEARN_PID" 20 || { cat "$RT_TMP/learn.out" >&2; rt_fail "learn failed"; }

# Drift prepared before enforcement starts (cp and chmod run unenforced).
rt_exec web sh -c 'cp /usr/bin/ls /tmp/ls2 &&
	printf "#!/bin/sh\necho evil\n" > /tmp/evil.sh && chmod +x /tmp/evil.sh &&
	echo >> /usr/bin/cat' ||
	rt_fail "could not prepare the drift"

# run_checks MODE: every check, expecting denials (protect) or not (monitor).
expect() {	# expect deny|allow DESCRIPTION CMD...
	local want=$1 what=$2 out rc; shift 2
	out=$(rt_exec web "$@" 2>&1); rc=$?
	if [ "$want" = deny ]; then
		[ $rc -ne 0 ] || { rt_sql "SELECT path FROM writes" >&2
			rt_fail "$what: expected a denial, it succeeded"; }
		case "$out" in *"ermission denied"*|*"not permitted"*) ;;
		*) rt_fail "$what: failed without EPERM: $out" ;; esac
	else
		[ $rc -eq 0 ] || rt_fail "$what: expected to work, got rc $rc: $out"
	fi
}
checks() {
	local d=$1	# deny or allow
	workload || { cat "$RT_TMP"/learn.out "$RT_TMP"/alerts-*.jsonl >&2
		rt_fail "the learned workload failed under enforcement ($d)"; }
	expect "$d" "copied-in binary" /tmp/ls2 /
	expect "$d" "modified image binary" /usr/bin/cat /etc/hostname
	expect "$d" "#! script in /tmp" /tmp/evil.sh
	expect "$d" "image binary never learned" /usr/bin/id
	expect "$d" "write to /usr/bin/x" sh -c 'echo x > /usr/bin/x'
	expect "$d" "append to /etc/passwd" sh -c 'echo x >> /etc/passwd'
	expect allow "write under /tmp" sh -c 'echo y > /tmp/free.txt'
	# The busybox container has no baseline: untouched.
	podman exec "$(rt_cname bb)" sh -c 'mkdir -p /tmp/d && cp /bin/busybox /tmp/d/busybox && /tmp/d/busybox true && echo z > /etc/z' 9>&- ||
		rt_fail "a container without baseline was affected"
}

start_enforce() {
	rt_bg "$RT_TMP/enforce-$1.out" "$RTGUARD" enforce --alerts "$RT_TMP/alerts-$1.jsonl" -v "${@:2}"
	RT_ENF_PID=$RT_BG_PID
	rt_wait_for 10 grep -q "enforcing container ${web:0:12}" "$RT_TMP/enforce-$1.out" ||
		{ cat "$RT_TMP/enforce-$1.out" >&2; rt_fail "enforce did not attach to nginx"; }
}
stop_enforce() {
	kill -TERM "$RT_ENF_PID"
	rt_wait_exit "$RT_ENF_PID" 10 || { cat "$RT_TMP/enforce-$1.out" >&2; rt_fail "enforce exited non-zero"; }
}

# --- protect -------------------------------------------------------------
start_enforce protect
checks deny
stop_enforce protect
alerts=$RT_TMP/alerts-protect.jsonl
for p in /tmp/ls2 /usr/bin/cat /tmp/evil.sh /usr/bin/id /usr/bin/x /etc/passwd; do
	jq -se --arg p "$p" 'any(.[]; .path == $p and .decision == "denied")' "$alerts" >/dev/null ||
		{ cat "$alerts" >&2; rt_fail "no denied alert line for $p"; }
done
jq -se 'any(.[]; .path == "/tmp/ls2" and (.reason | test("drift")))' "$alerts" >/dev/null || rt_fail "copied binary not reported as drift"
denied=$(rt_sql "SELECT count(*) FROM events WHERE action = 0")
[ "$denied" -ge 6 ] || rt_fail "expected >= 6 denied events in the store, got $denied"
# Nothing learned was denied.
for p in /usr/sbin/nginx /usr/bin/ls /usr/bin/dash /var/log/nginx/access.log /tmp/work.txt; do
	[ "$(rt_sql "SELECT count(*) FROM events WHERE path = '$p'")" = 0 ] || rt_fail "learned $p was denied"
done

# After rtguard stops: everything runs as before.
expect allow "never-learned binary after stop" /usr/bin/id
expect allow "copied binary after stop" /tmp/ls2 /

# --- monitor -------------------------------------------------------------
rt_exec web rm -f /usr/bin/x
start_enforce monitor --monitor
checks allow
stop_enforce monitor
alerts=$RT_TMP/alerts-monitor.jsonl
for p in /tmp/ls2 /usr/bin/cat /tmp/evil.sh /usr/bin/id /usr/bin/x /etc/passwd; do
	jq -se --arg p "$p" 'any(.[]; .path == $p and .decision == "alerted")' "$alerts" >/dev/null ||
		{ cat "$alerts" >&2; rt_fail "no alerted line for $p in monitor mode"; }
done
jq -se 'all(.[]; .decision != "denied")' "$alerts" >/dev/null || rt_fail "monitor mode denied something"
[ "$(rt_sql "SELECT count(*) FROM events WHERE action = 1")" -ge 6 ] || rt_fail "monitor events not recorded"

# --- protect --lock-dirs: unlink, chmod and O_CREAT stopped by the kernel ---
start_enforce lock --lock-dirs
rt_wait_for 5 grep -q "protected directories read-only" "$RT_TMP/enforce-lock.out" ||
	{ cat "$RT_TMP/enforce-lock.out" >&2; rt_fail "--lock-dirs did not lock"; }
workload || rt_fail "the learned workload failed with --lock-dirs"
for cmd in 'rm /usr/bin/id' 'chmod 777 /etc/passwd' ': > /etc/newfile'; do
	out=$(rt_exec web sh -c "$cmd" 2>&1) && rt_fail "'$cmd' worked with --lock-dirs"
	case "$out" in *"Read-only file system"*) ;; *) rt_fail "'$cmd' failed without EROFS: $out" ;; esac
done
rt_exec web sh -c 'echo y > /etc/nginx/learned.conf' || rt_fail "a learned write under /etc was blocked by --lock-dirs"
stop_enforce lock
rt_exec web sh -c '! grep -q " /usr \| /etc " /proc/self/mountinfo' || rt_fail "read-only mounts left after stop"
rt_exec web sh -c '[ ! -e /etc/newfile ] && [ -e /usr/bin/id ]' || rt_fail "--lock-dirs let a change through"
rt_exec web sh -c 'chmod 644 /etc/passwd' || rt_fail "protected dirs not writable again after stop"

# The report shows the denials and alerts.
"$RTGUARD" report --image rtguard-nginx >"$RT_TMP/report.txt" || rt_fail "report failed"
rt_assert_contains "$RT_TMP/report.txt" "/tmp/ls2"
"$RTGUARD" report --json | jq -e '[.events[] | select(.action == "denied" and .type == "write")] | length >= 2' >/dev/null ||
	rt_fail "JSON report lacks the write denials"
rt_pass
