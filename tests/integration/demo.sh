#!/usr/bin/env bash
# The README demo's steps (scripts/demo.sh), asserted: learn while nginx
# starts, serves traffic and runs `sh -c 'nginx -t; ls /etc/nginx'`
# (with rtguard's OCI hook in a directory of its own, as the demo installs
# it, so the container is watched from its start); the baseline then
# holds the shell, ls and nginx. Under enforce, traffic goes on, the demo's "learned:
# allowed" step (sh -c "ls /etc/nginx") is allowed, the dropped binary is
# denied, and the protected write (echo evil >> /etc/passwd) is refused.
. "$(dirname "$0")/lib.sh"
rt_setup
rt_audit_lock
command -v curl >/dev/null || rt_skip "curl missing"
podman image exists "$RT_NGINX" || rt_skip "nginx test image missing"
rt_hooks_setup
rt_private_image "$RT_NGINX"; img=$RT_IMAGE
port=$(rt_free_port)

# learn: start rtguard, then nginx
rt_learn_bg 60 "$img" --reset --until-stable 15s
RT_RUN_OPTS=$(rt_nginx_site "$port") rt_run demo "$img"; id=$RT_ID
rt_wait_for 15 curl -sf -o /dev/null "http://127.0.0.1:$port/" || rt_fail "nginx did not answer"
( for _ in $(seq 60); do curl -s -o /dev/null "http://127.0.0.1:$port/"; sleep 0.05; done ) &
load=$!
rt_exec demo sh -c 'nginx -t 2>/dev/null; ls /etc/nginx >/dev/null' || rt_fail "the demo's exec failed"
wait "$load"
rt_wait_exit "$RT_LEARN_PID" 60 || { cat "$RT_TMP/learn.out" >&2; rt_fail "learn failed"; }
rt_assert_contains "$RT_TMP/learn.out" "converged" "learn --until-stable converged"
grep -q "attached to container ${id:0:12} .*from its start" "$RT_TMP/learn.out" ||
	{ cat "$RT_TMP/learn.out" >&2; rt_fail "the demo's container was not watched from its start"; }
key=$(rt_sql "SELECT id FROM images WHERE ref = '$img'")
for p in /usr/sbin/nginx /usr/bin/dash /usr/bin/ls; do
	[ "$(rt_sql "SELECT count(*) FROM executables WHERE image = $key AND path = '$p'")" = 1 ] ||
		{ cat "$RT_TMP/learn.out" >&2; rt_fail "the demo's learn step lacks $p in the baseline"; }
done
"$RTGUARD" report --json | jq -e --arg img "$img" '.images[] | select(.image == $img) | .readiness.ready' >/dev/null ||
	{ "$RTGUARD" report --image "$img" >&2; rt_fail "the demo's baseline is not ready to enforce"; }

# an attacker drops a binary (before enforcement, so it succeeds)
rt_exec demo sh -c 'cp /usr/bin/ls /tmp/x' || rt_fail "dropping the binary"

# enforce the baseline
# (it is ready, so its container is protected)
rt_enforce_bg demo --image "$img" --duration 60
rt_wait_protected demo "$id"
grep -q "container ${id:0:12} .*: protected" "$RT_TMP/enforce-demo.out" ||
	{ cat "$RT_TMP/enforce-demo.out" >&2; rt_fail "the demo's container is not protected"; }
curl -sf -o /dev/null "http://127.0.0.1:$port/" || rt_fail "traffic refused under enforce"
rt_exec demo sh -c 'ls /etc/nginx' >/dev/null 2>"$RT_TMP/allowed.err" ||
	{ cat "$RT_TMP/allowed.err" "$RT_TMP/alerts-demo.jsonl" >&2; rt_fail "the demo's 'learned: allowed' step was denied"; }
rt_exec demo /tmp/x / >/dev/null 2>&1 && rt_fail "the dropped binary ran under enforce"
# The demo's step: from a shell in the container, refused and recorded.
rt_exec demo sh -c '/tmp/x /' >/dev/null 2>&1 && rt_fail "the dropped binary ran from a shell under enforce"
if grep -q "recording the kernel's own refusals" "$RT_TMP/enforce-demo.out"; then
	rt_wait_for 5 rt_alerted demo '.path == "/tmp/x" and .decision == "denied"' ||
		{ cat "$RT_TMP/alerts-demo.jsonl" >&2; rt_fail "the dropped binary's refusal was not recorded"; }
fi
rt_exec demo sh -c 'echo evil >> /etc/passwd' 2>/dev/null && rt_fail "the protected write went through"
# Refused as a write: either the enforcer's write decision, or its
# read-only mount; never because the shell was not learned.
if rt_alerted demo '.path == "/usr/bin/dash" and .decision == "denied"'; then
	rt_fail "the shell of the protected-write step was denied as an exec"
fi
rt_alerted demo '.type == "write" and .path == "/etc/passwd" and .decision == "denied"' ||
	rt_log "note: the write was refused without a write decision recorded (a read-only mount?)"
rt_enforce_stop demo
grep -q "evil" "$(podman inspect -f '{{.GraphDriver.Data.MergedDir}}' "$id" 9>&-)/etc/passwd" && rt_fail "/etc/passwd was changed"
rt_pass
