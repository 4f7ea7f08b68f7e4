#!/usr/bin/env bash
# Learning and enforcing against Docker's engine (Debian's docker.io), as
# well as Podman's. Docker runs no OCI hook, so a container is attached
# when the engine reports it started; what it did before (its entrypoint
# exec and startup syscalls, runc's setup seen and left out) comes from
# the audit records kept for it. Then a smoke of enforce on the same
# engine: the learned exec is allowed, a dropped binary is denied.
. "$(dirname "$0")/lib.sh"
rt_setup
rt_audit_lock
[ -x /usr/sbin/dockerd ] || rt_skip "docker.io is not installed (scripts/install-deps.sh)"
command -v curl >/dev/null || rt_skip "curl missing"
nginx_tar=/var/cache/rtguard-test/nginx-rootfs.tar
[ -s "$nginx_tar" ] || rt_skip "no nginx rootfs tarball (scripts/build-test-images.sh)"
docker=/usr/bin/docker
sock=/var/run/docker.sock
if ! $docker -H "unix://$sock" info >/dev/null 2>&1; then
	# As PLATFORM.md says: off the host's network and iptables, cgroupfs.
	cat >"$RT_TMP/daemon.json" <<'JSON'
{"bridge": "none", "iptables": false, "ip-forward": false, "ip-masq": false,
 "exec-opts": ["native.cgroupdriver=cgroupfs"]}
JSON
	rt_bg "$RT_TMP/dockerd.out" /usr/sbin/dockerd --config-file "$RT_TMP/daemon.json"
	rt_wait_for 60 $docker -H "unix://$sock" info || { tail -20 "$RT_TMP/dockerd.out" >&2; rt_fail "dockerd did not start"; }
fi
d() { $docker -H "unix://$sock" "$@" 9>&-; }
img=localhost/rtt-docker-nginx-$$:test
d import --change 'CMD ["nginx","-g","daemon off;"]' "$nginx_tar" "$img" >/dev/null || rt_fail "docker import"
rt_at_exit "$docker -H unix://$sock rmi -f $img"
name=rtt-docker-web-$$
rt_at_exit "$docker -H unix://$sock rm -f $name"
port=$(rt_free_port)
site=$(rt_nginx_site "$port")

rt_learn_bg 30 "$img" --runtime-socket "$sock"
id=$(d run -d --name "$name" --network host $site "$img") || rt_fail "docker run"
d exec "$name" sh -c 'ls /etc/nginx >/dev/null' || rt_fail "docker exec right after start"
rt_learn_wait_attached "$id"
rt_wait_for 15 curl -sf -o /dev/null "http://127.0.0.1:$port/" || rt_fail "nginx on Docker did not answer"
for _ in $(seq 20); do curl -s -o /dev/null "http://127.0.0.1:$port/"; done
d exec "$name" /usr/bin/id >/dev/null || rt_fail "docker exec id"
rt_wait_line 10 "$RT_LEARN_PID" "$RT_TMP/learn.out" "the exec learned" "new executable /usr/bin/id"
kill -TERM "$RT_LEARN_PID"
rt_wait_exit "$RT_LEARN_PID" 30 || { cat "$RT_TMP/learn.out" >&2; rt_fail "learn on Docker failed"; }

key=$(rt_sql "SELECT id FROM images WHERE ref = '$img'")
[ -n "$key" ] || { cat "$RT_TMP/learn.out" >&2; rt_fail "no baseline for $img"; }
for p in /usr/sbin/nginx /usr/bin/dash /usr/bin/ls /usr/bin/id; do
	rt_assert_eq "$(rt_sql "SELECT count(*) FROM executables WHERE image = $key AND path = '$p'")" 1 "executable $p on Docker"
done
sc() { rt_sql "SELECT count(*) FROM syscalls WHERE image = $key AND arch = 3221225534 AND nr = $1"; }
for nr_name in 41:socket 49:bind 50:listen 288:accept4; do
	rt_assert_eq "$(sc "${nr_name%%:*}")" 1 "startup syscall ${nr_name#*:} on Docker"
done
for nr_name in 155:pivot_root 170:sethostname; do
	rt_assert_eq "$(sc "${nr_name%%:*}")" 0 "runc's ${nr_name#*:} learned as the image's"
done
rt_assert_eq "$(rt_sql "SELECT from_start FROM containers WHERE id = '$id'")" 1 \
	"audited from before its first exec (runc's setup seen)"
rt_assert_eq "$(rt_audit_rules_ours)" 0 "rtguard audit rules left"

# --- enforce smoke on Docker ------------------------------------------------------
d exec "$name" sh -c 'cp /usr/bin/ls /tmp/x' || rt_fail "dropping a binary"
# Learned for 30 s, the baseline is still changing (not ready): --force.
rt_enforce_bg docker --runtime-socket "$sock" --image "$img" --duration 30 --force
rt_wait_protected docker "$id"
d exec "$name" sh -c 'ls /etc/nginx >/dev/null' || { cat "$RT_TMP/enforce-docker.out" >&2; rt_fail "a learned exec was denied on Docker"; }
curl -sf -o /dev/null "http://127.0.0.1:$port/" || rt_fail "traffic stopped under enforce"
if d exec "$name" /tmp/x / >/dev/null 2>&1; then
	rt_fail "a dropped binary ran under enforce on Docker"
fi
rt_enforce_stop docker
# Refused by a denial, or before any event by the enforcer's noexec mounts.
rt_alerted docker '.path == "/tmp/x" and .decision == "denied"' ||
	rt_log "note: the dropped binary did not run, but no denial of it was recorded (refused by a mount?)"
rt_pass
