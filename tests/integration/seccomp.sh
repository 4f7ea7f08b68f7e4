#!/usr/bin/env bash
# The seccomp profile exported from a learned baseline runs the image:
# learned while one container served and a replica (or a database's
# fresh start, with an official-style entrypoint: mkdir and chown as
# root, then setpriv to the service user) started mid-learn, a fresh
# container under the profile starts and serves the learned workload, and
# a syscall the application never used (chroot) fails with EPERM. Learned
# without any container start, export refuses unless --force.
. "$(dirname "$0")/lib.sh"
rt_setup
rt_audit_lock
command -v curl >/dev/null || rt_skip "curl missing"
podman image exists "$RT_NGINX" || rt_skip "nginx test image missing"
rt_hooks_setup

# refuses_chroot NAME: chroot(2), never learned, fails with EPERM.
refuses_chroot() {
	local out
	out=$(rt_exec "$1" /usr/sbin/chroot / /bin/true 2>&1) && rt_fail "$1: chroot succeeded under the profile"
	case "$out" in *"not permitted"*) ;; *) rt_fail "$1: chroot failed without EPERM: $out" ;; esac
}

# --- nginx -------------------------------------------------------------------
rt_private_image "$RT_NGINX"; nginx=$RT_IMAGE
port=$(rt_free_port); port2=$(rt_free_port)
RT_RUN_OPTS=$(rt_nginx_site "$port") rt_run web "$nginx"; web=$RT_ID
rt_wait_for 15 curl -sf -o /dev/null "http://127.0.0.1:$port/" || rt_fail "nginx did not answer"
rt_learn_bg 30 "$nginx"
rt_learn_wait_attached "$web"
( for _ in $(seq 200); do curl -s -o /dev/null "http://127.0.0.1:$port/"; sleep 0.02; done ) &
load=$!
# The replica started mid-learn: its startup is what the profile needs.
RT_RUN_OPTS=$(rt_nginx_site "$port2") rt_run web2 "$nginx"; web2=$RT_ID
rt_learn_wait_attached "$web2"
rt_wait_for 15 curl -sf -o /dev/null "http://127.0.0.1:$port2/" || rt_fail "the replica did not answer"
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port2/"; done
wait "$load"
kill -TERM "$RT_LEARN_PID"
rt_wait_exit "$RT_LEARN_PID" 30 || { cat "$RT_TMP/learn.out" >&2; rt_fail "learn failed"; }
"$RTGUARD" policy export --image "$nginx" --format seccomp -o "$RT_TMP/nginx.json" 2>"$RT_TMP/export.err" ||
	{ cat "$RT_TMP/export.err" >&2; rt_fail "seccomp export of nginx"; }
jq -e '.syscalls[0].names | (index("chroot") | not) and (index("pivot_root") | not) and index("listen") and index("mkdir")' \
	"$RT_TMP/nginx.json" >/dev/null || rt_fail "nginx profile: chroot/pivot_root allowed or listen/mkdir missing"
rt_stop web; rt_stop web2
port3=$(rt_free_port)
RT_RUN_OPTS="--security-opt seccomp=$RT_TMP/nginx.json $(rt_nginx_site "$port3")" rt_run fresh "$nginx"
rt_wait_for 15 curl -sf -o /dev/null "http://127.0.0.1:$port3/" ||
	{ podman logs "$(rt_cname fresh)" >&2; rt_fail "a fresh nginx did not serve under its learned profile"; }
for _ in $(seq 20); do curl -sf -o /dev/null "http://127.0.0.1:$port3/" || rt_fail "nginx under the profile failed a request"; done
refuses_chroot fresh

# --- a database: Redis from Debian, official-style entrypoint -------------------
if podman image exists localhost/rtguard-redis:test && command -v redis-cli >/dev/null; then
	rt_private_image localhost/rtguard-redis:test; redis=$RT_IMAGE
	rport=$(rt_free_port)
	rt_learn_bg 40 "$redis"
	rt_run db "$redis" /usr/local/bin/docker-entrypoint.sh --port "$rport"; db=$RT_ID
	rt_learn_wait_attached "$db"
	rt_wait_for 15 redis-cli -p "$rport" ping || { podman logs "$(rt_cname db)" >&2; rt_fail "redis did not answer"; }
	redis-benchmark -p "$rport" -q -n 5000 -c 8 -t set,get,incr,lpush,lpop >/dev/null || rt_fail "redis-benchmark"
	# A restart: the entrypoint runs again on a /data that exists.
	# shellcheck disable=SC2086
	podman $RT_PODMAN_OPTS restart -t 1 "$(rt_cname db)" >/dev/null 9>&- || rt_fail "podman restart"
	rt_wait_for 15 redis-cli -p "$rport" ping || rt_fail "redis did not answer after restart"
	redis-benchmark -p "$rport" -q -n 2000 -c 4 -t set,get >/dev/null || rt_fail "redis-benchmark after restart"
	kill -TERM "$RT_LEARN_PID"
	rt_wait_exit "$RT_LEARN_PID" 30 || { cat "$RT_TMP/learn.out" >&2; rt_fail "learn of redis failed"; }
	key=$(rt_sql "SELECT id FROM images WHERE ref = '$redis'")
	rt_assert_eq "$(rt_sql "SELECT count(*) FROM exec_names WHERE image = $key AND name = '/usr/bin/redis-server' AND target = '/usr/bin/redis-check-rdb'")" 1 \
		"redis-server recorded under the name it was run as"
	"$RTGUARD" policy export --image "$redis" --format seccomp -o "$RT_TMP/redis.json" || rt_fail "seccomp export of redis"
	jq -e '.syscalls[0].names | (index("chroot") | not) and (index("pivot_root") | not) and (index("sethostname") | not) and index("fchownat")' \
		"$RT_TMP/redis.json" >/dev/null || rt_fail "redis profile: runc's setup allowed or the entrypoint's fchownat missing"
	rt_stop db
	rport2=$(rt_free_port)
	RT_RUN_OPTS="--security-opt seccomp=$RT_TMP/redis.json" rt_run db2 "$redis" /usr/local/bin/docker-entrypoint.sh --port "$rport2"
	rt_wait_for 15 redis-cli -p "$rport2" ping ||
		{ podman logs "$(rt_cname db2)" >&2; rt_fail "a fresh redis did not start under its learned profile"; }
	redis-benchmark -p "$rport2" -q -n 2000 -c 4 -t set,get >/dev/null || rt_fail "redis under the profile failed its workload"
	[ "$(redis-cli -p "$rport2" set k v)" = OK ] && [ "$(redis-cli -p "$rport2" get k)" = v ] || rt_fail "redis SET/GET under the profile"
	refuses_chroot db2
else
	rt_log "note: no redis test image or redis-cli; the database half was not run (scripts/build-test-images.sh, install-deps.sh)"
fi

# --- no container start observed: export refuses, --force overrides -------------
rt_private_image "$RT_BUSYBOX"; bb=$RT_IMAGE
rt_run early "$bb" sh -c 'while true; do echo hi >/tmp/x; sleep 0.2; done'; early=$RT_ID
rt_learn_bg 4 "$bb"
rt_learn_wait_attached "$early"
rt_wait_exit "$RT_LEARN_PID" 20 || { cat "$RT_TMP/learn.out" >&2; rt_fail "learn of busybox failed"; }
if "$RTGUARD" policy export --image "$bb" --format seccomp -o "$RT_TMP/bb.json" 2>"$RT_TMP/refuse.err"; then
	rt_fail "seccomp export without a container start succeeded"
fi
rt_assert_contains "$RT_TMP/refuse.err" "no container start was observed" "the refusal says why"
[ ! -e "$RT_TMP/bb.json" ] || rt_fail "a refused export left a file"
"$RTGUARD" policy export --image "$bb" --format seccomp --force -o "$RT_TMP/bb.json" 2>/dev/null || rt_fail "export --force"
jq -e '.defaultAction == "SCMP_ACT_ERRNO"' "$RT_TMP/bb.json" >/dev/null || rt_fail "forced profile"
rt_pass
