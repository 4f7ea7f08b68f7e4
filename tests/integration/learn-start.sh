#!/usr/bin/env bash
# A container started while learning is learned from its first
# instruction: with the OCI hook (in this test's own hooks directory), its
# entrypoint exec and its startup syscalls (socket, bind, listen, mkdir)
# are in the baseline, and it counts as watched from its start; an exec
# right after the start is learned; runc's own setup (pivot_root,
# sethostname, mount) is not the image's; an executable run through a
# symlink is recorded under the name it was run as, with its target; a
# container of another tag of the same image id shares the baseline.
. "$(dirname "$0")/lib.sh"
rt_setup
rt_audit_lock
command -v curl >/dev/null || rt_skip "curl missing"
podman image exists "$RT_NGINX" || rt_skip "nginx test image missing"
rt_hooks_setup
rt_private_image "$RT_NGINX"
img=$RT_IMAGE
port=$(rt_free_port)

rt_learn_bg 25 "$img" --quiet-period 3s
rt_wait_line 10 "$RT_LEARN_PID" "$RT_TMP/learn.out" "learner waiting" "no running container matches"
RT_RUN_OPTS=$(rt_nginx_site "$port") rt_run web "$img"; id=$RT_ID
# Right after the start, before anything else: an exec.
rt_exec web sh -c 'ls /etc/nginx >/dev/null' || rt_fail "podman exec right after start failed"
rt_wait_for 15 curl -sf -o /dev/null "http://127.0.0.1:$port/" || rt_fail "nginx did not answer on $port"
for _ in $(seq 20); do curl -s -o /dev/null "http://127.0.0.1:$port/"; done
rt_learn_wait_attached "$id"
rt_assert_contains "$RT_TMP/learn.out" "attached to container ${id:0:12} ($img, pid" "attach line"
# Another tag of the same image id: the same baseline, not a new one.
alias=${img%:test}-alias:test
_rt_images+=("$alias")
podman tag "$img" "$alias" 9>&- || rt_fail "podman tag"
rt_run alias "$alias" sh -c 'exec sleep 300'; aid=$RT_ID
rt_learn_wait_attached "$aid"
grep -q "attached to container ${id:0:12}.*from its start" "$RT_TMP/learn.out" ||
	{ cat "$RT_TMP/learn.out" >&2; rt_fail "the container was not attached from its start (OCI hook)"; }
kill -TERM "$RT_LEARN_PID"
rt_wait_exit "$RT_LEARN_PID" 30 || { cat "$RT_TMP/learn.out" >&2; rt_fail "learn exited non-zero"; }

key=$(rt_sql "SELECT id FROM images WHERE ref = '$img'")
[ -n "$key" ] || rt_fail "no baseline for $img"
exe() { rt_sql "SELECT count(*) FROM executables WHERE image = $key AND path = '$1'"; }
for p in /usr/sbin/nginx /usr/bin/dash /usr/bin/ls; do
	rt_assert_eq "$(exe "$p")" 1 "executable $p (entrypoint and the exec right after start)"
done
# Syscalls by x86_64 number: the startup ones, and none of runc's setup.
sc() { rt_sql "SELECT count(*) FROM syscalls WHERE image = $key AND arch = 3221225534 AND nr = $1"; }
for nr_name in 41:socket 49:bind 50:listen 83:mkdir 288:accept4 59:execve; do
	rt_assert_eq "$(sc "${nr_name%%:*}")" 1 "startup syscall ${nr_name#*:}"
done
for nr_name in 155:pivot_root 170:sethostname 165:mount 166:umount2; do
	rt_assert_eq "$(sc "${nr_name%%:*}")" 0 "runc's ${nr_name#*:} learned as the image's"
done
rt_assert_eq "$(rt_sql "SELECT from_start FROM containers WHERE id = '$id'")" 1 "container watched from its start"
rt_assert_eq "$(rt_sql "SELECT count(*) FROM images WHERE ref = '$alias'")" 0 "another tag of the same id got a baseline of its own"
rt_assert_eq "$(rt_sql "SELECT image FROM containers WHERE id = '$aid'")" "$key" "the other tag's container is in the same baseline"
rt_assert_eq "$(rt_sql "SELECT count(*) FROM images WHERE ref = '$img' AND image_id IS NOT NULL")" 1 "the image id is kept"
# sh was run as a name (a symlink to dash): recorded with its target.
rt_assert_eq "$(rt_sql "SELECT count(*) FROM exec_names WHERE image = $key AND name LIKE '%/sh' AND target = '/usr/bin/dash'")" 1 \
	"the symlink sh was run as"
# The report shows the readiness of the baseline: seen from its start.
"$RTGUARD" report --json >"$RT_TMP/report.json" || rt_fail "report --json"
jq -e --arg img "$img" '.images[] | select(.image == $img) | .readiness |
	.containers_from_start >= 1 and .audit_lost == 0 and (.reasons | all(test("from its start") | not))' \
	"$RT_TMP/report.json" >/dev/null || { jq '.images[].readiness' "$RT_TMP/report.json" >&2; rt_fail "readiness"; }
rt_assert_eq "$(rt_audit_rules_ours)" 0 "rtguard audit rules left after learn"
rt_pass
