# lib.sh: shared helpers for rtguard's integration tests (bash, as root).
#
# Tests run the real rtguard binary against real audit, fanotify and Podman
# containers built locally (scripts/build-test-images.sh). Everything a test
# starts (containers, background processes, temporary files) is registered
# here and removed by the EXIT trap, whatever the outcome. Exit 77 = skip.
set -uo pipefail

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
# make check sets RTGUARD; run by hand, a test takes scripts/build.sh's
# sanitizer build, else its plain one.
if [ -z "${RTGUARD:-}" ]; then
	for RTGUARD in "$top_srcdir/build/asan/cli/rtguard" "$top_srcdir/build/plain/cli/rtguard"; do
		[ -x "$RTGUARD" ] && break
	done
fi
RT_NAME=$(basename "$0" .sh)
RT_TMP=$(mktemp -d "/tmp/rtguard-test-$RT_NAME.XXXXXX")
RT_DB=$RT_TMP/db/rtguard.db
RT_BUSYBOX=localhost/rtguard-busybox:test
RT_BUSYBOX2=localhost/rtguard-busybox2:test
RT_NGINX=localhost/rtguard-nginx:test
export RTGUARD_DB=$RT_DB
_rt_containers=()
_rt_pids=()
_rt_images=()
_rt_at_exit=()

# rt_at_exit CMD: run CMD (eval) in the EXIT trap, after the test's
# processes and containers are gone, the last one registered first.
rt_at_exit() { _rt_at_exit+=("$1"); }
rt_log() { printf '%s: %s\n' "$RT_NAME" "$*" >&2; }
rt_fail() { rt_log "FAIL: $*"; exit 1; }
rt_skip() { rt_log "SKIP: $*"; exit 77; }
rt_pass() { rt_log "PASS"; exit 0; }

_rt_cleanup() {
	local rc=$? p c
	for p in "${_rt_pids[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${_rt_pids[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	for c in "${_rt_containers[@]}"; do
		podman rm -f -t 0 "$c" >/dev/null 2>&1
	done
	for c in "${_rt_images[@]}"; do
		podman rmi -f "$c" >/dev/null 2>&1
	done
	# After the processes: what they held (auditd's pid) is free then.
	for ((c = ${#_rt_at_exit[@]} - 1; c >= 0; c--)); do
		eval "${_rt_at_exit[c]}" >/dev/null 2>&1
	done
	rm -rf "$RT_TMP"
	_rt_unlock
	exit $rc
}
trap _rt_cleanup EXIT
trap 'exit 130' INT TERM

# One integration test at a time on a machine, whoever runs it: every
# enforcer attaches to every container of an image it has a baseline for,
# so two tests (or two checkouts) running at once would protect each
# other's containers. A directory lock (no inherited descriptor that a
# container's conmon could keep open), taken over when its owner is dead.
_RT_LOCK=/run/rtguard-integration.lock
_rt_locked=0
_rt_lock() {
	local i owner
	for ((i = 0; i < 36000; i++)); do
		if mkdir "$_RT_LOCK" 2>/dev/null; then
			echo $$ >"$_RT_LOCK/pid"
			_rt_locked=1
			return 0
		fi
		owner=$(cat "$_RT_LOCK/pid" 2>/dev/null)
		if [ -n "$owner" ] && ! kill -0 "$owner" 2>/dev/null; then
			rm -rf "$_RT_LOCK"
			continue
		fi
		[ $((i % 300)) -ne 299 ] || rt_log "waiting for another integration test (pid ${owner:-?})"
		sleep 0.1
	done
	rt_fail "integration lock $_RT_LOCK held for an hour"
}
_rt_unlock() {
	[ "$_rt_locked" = 1 ] && [ "$(cat "$_RT_LOCK/pid" 2>/dev/null)" = $$ ] && rm -rf "$_RT_LOCK"
	_rt_locked=0
}

rt_setup() {
	[ "${RTGUARD_INTEGRATION:-1}" != 0 ] || rt_skip "RTGUARD_INTEGRATION=0"
	[ "$(id -u)" -eq 0 ] || rt_skip "integration tests need root"
	_rt_lock
	command -v podman >/dev/null || rt_skip "podman is not installed (run scripts/setup-machine.sh)"
	# shellcheck source=../../scripts/podman-env.sh
	. "$top_srcdir/scripts/podman-env.sh"
	[ -S "$RTGUARD_TEST_SOCKET" ] || rt_skip "no Podman API socket (run scripts/start-podman-api.sh)"
	podman image exists "$RT_BUSYBOX" || rt_skip "test images missing (run scripts/build-test-images.sh)"
	mkdir -p "$RT_TMP"
}

# [RT_RUN_OPTS=...] rt_run NAME IMAGE CMD...: start a detached container, registered for
# removal; sets RT_ID. (Not in $(...): the registration would be lost.)
# fd 9 (the audit lock) is closed so conmon, which outlives us, never
# holds it.
rt_run() {
	local name=$1 image=$2; shift 2
	local full="rtt-$RT_NAME-$name-$$"
	_rt_containers+=("$full")
	podman rm -f -t 0 "$full" >/dev/null 2>&1 9>&-
	# shellcheck disable=SC2086 # RT_RUN_OPTS: extra podman run options
	# shellcheck disable=SC2086 # RT_PODMAN_OPTS: global options (--hooks-dir)
	RT_ID=$(podman ${RT_PODMAN_OPTS:-} run -d --name "$full" --network host ${RT_RUN_OPTS:-} "$image" "$@" 9>&-) ||
		rt_fail "podman run $image failed"
}

# rt_private_image BASE: BASE under a name and image id of this test's own
# (a label makes the id), removed on exit; sets RT_IMAGE. Learners and
# enforcers of other runs on the machine then leave its containers alone.
rt_private_image() {
	local base=$1 name
	name="localhost/rtt-$RT_NAME-$(basename "${base%%:*}")-$$-${#_rt_images[@]}:test"
	_rt_images+=("$name")
	printf 'FROM %s\nLABEL rtguard.test=%s\n' "$base" "$name" |
		podman build -q -t "$name" -f - "$RT_TMP" >/dev/null 9>&- ||
		rt_fail "cannot derive an image from $base"
	RT_IMAGE=$name
}

# rt_free_port: a TCP port nothing listens on (host network).
rt_free_port() {
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 20000))
		ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return 0; }
	done
	rt_fail "no free TCP port"
}

# rt_nginx_site PORT: nginx's site listening on PORT (the image's is 8080,
# which another container may hold); prints the podman -v option.
rt_nginx_site() {
	local port=$1 f=$RT_TMP/nginx-site-$1.conf
	cat >"$f" <<NGINX
server {
	listen $port default_server;
	root /var/www/html;
	index index.html index.nginx-debian.html;
	access_log /var/log/nginx/access.log;
	error_log /var/log/nginx/error.log;
	location / { try_files \$uri \$uri/ =404; }
}
NGINX
	echo "-v $f:/etc/nginx/sites-enabled/default:ro"
}
rt_cname() { echo "rtt-$RT_NAME-$1-$$"; }
rt_exec() { local n; n=$(rt_cname "$1"); shift; podman exec "$n" "$@" 9>&-; }
rt_stop() { podman rm -f -t 0 "$(rt_cname "$1")" >/dev/null 2>&1 9>&-; }

# rt_bg OUTFILE CMD...: run CMD in the background (stdout+stderr to
# OUTFILE), registered for cleanup; sets RT_BG_PID.
rt_bg() {
	local out=$1; shift
	"$@" >"$out" 2>&1 &
	RT_BG_PID=$!
	_rt_pids+=("$RT_BG_PID")
}

# rt_wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds.
rt_wait_for() {
	local limit=$1 i; shift
	for ((i = 0; i < limit * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# rt_api_service NAME: a private Podman API service on $RT_TMP/NAME.sock
# (registered for cleanup; its pid in RT_BG_PID).
rt_api_service() {
	rt_bg "$RT_TMP/$1.log" podman system service --time=0 "unix://$RT_TMP/$1.sock"
	rt_wait_for 30 curl -sf --unix-socket "$RT_TMP/$1.sock" http://d/_ping ||
		{ cat "$RT_TMP/$1.log" >&2; rt_fail "podman service $1 did not start"; }
}

# rt_api_point NAME: new connections to $RT_TMP/engine.sock reach service
# NAME (a symlink swapped atomically); connections already open stay.
rt_api_point() {
	local sock=$RT_TMP/engine.sock
	if ! ln -sfn "$1.sock" "$sock.new" || ! mv -T "$sock.new" "$sock"; then
		rt_fail "cannot point $sock at $1"
	fi
}

# rt_wait_exit PID SECONDS: wait for a background process; its status.
rt_wait_exit() {
	local pid=$1 limit=$2 i
	for ((i = 0; i < limit * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || { wait "$pid"; return $?; }
		sleep 0.1
	done
	rt_fail "process $pid still running after ${limit}s"
}

rt_assert_eq() { [ "$1" = "$2" ] || rt_fail "${3:-values differ}: expected '$2', got '$1'"; }
rt_assert_contains() { grep -qF -- "$2" "$1" || { sed 's/^/  | /' "$1" >&2; rt_fail "${3:-missing text}: '$2' not in $1"; }; }
rt_assert_not_contains() { ! grep -qF -- "$2" "$1" || { sed 's/^/  | /' "$1" >&2; rt_fail "${3:-unexpected text}: '$2' in $1"; }; }

# rt_sql SQL: query the test database (read-only).
rt_sql() { sqlite3 -readonly "$RT_DB" "$1"; }

# rt_audit_rules_ours: rtguard's audit rules currently loaded (key rtguard*).
rt_audit_rules_ours() { auditctl -l 2>/dev/null | grep -c 'key=rtguard' || true; }

# rt_audit_lock: only one process can hold the kernel's audit pid; tests
# and benchmarks that learn take this lock for their whole run.
rt_audit_lock() {
	exec 9>/run/rtguard-audit.lock
	flock -w 600 9 || rt_fail "audit lock busy for 10 minutes"
}

# rt_wait_line SECONDS PID FILE WHAT PATTERN: wait until FILE, the output
# of process PID, has a line matching PATTERN (grep BRE); fails the test,
# showing FILE, if PID exits first or SECONDS pass.
rt_wait_line() {
	local limit=$1 pid=$2 file=$3 what=$4 pat=$5 i
	for ((i = 0; i < limit * 10; i++)); do
		grep -q -- "$pat" "$file" 2>/dev/null && return 0
		if ! kill -0 "$pid" 2>/dev/null; then
			grep -q -- "$pat" "$file" 2>/dev/null && return 0
			sed 's/^/  | /' "$file" >&2
			rt_fail "$what: process $pid exited first"
		fi
		sleep 0.1
	done
	sed 's/^/  | /' "$file" >&2
	rt_fail "$what: not within ${limit}s"
}

# The kernel's audit records go to a live process (not to nobody, nor to a
# dead learner's stale pid).
rt_audit_receiver_alive() {
	local pid
	pid=$(auditctl -s 2>/dev/null | awk '/^pid /{print $2}')
	[ -n "$pid" ] && [ "$pid" != 0 ] && kill -0 "$pid" 2>/dev/null
}

# rt_learn_bg SECONDS IMAGE [ARGS...]: start a learner in the background
# (-v, output in $RT_TMP/learn.out); sets RT_LEARN_PID. Returns once it is
# ready (at most 30 s, else the test fails): it receives audit records,
# and it has attached to the running containers of IMAGE, or said that
# none runs yet. The learner prints its attach lines after its audit
# rules are in, so the first of them means both. A container started
# later, or several running ones: rt_learn_wait_attached ID...
rt_learn_bg() {
	local secs=$1 image=$2; shift 2
	rt_bg "$RT_TMP/learn.out" "$RTGUARD" learn --image "$image" --duration "$secs" --no-progress -v "$@"
	RT_LEARN_PID=$RT_BG_PID
	rt_wait_line 30 "$RT_LEARN_PID" "$RT_TMP/learn.out" "learner readiness" \
		'attached to container [0-9a-f]\{12\}\|no running container matches'
	rt_audit_receiver_alive || rt_fail "the learner is up but no live process receives audit records"
}

# rt_learn_wait_attached ID...: wait (at most 30 s each) until the learner
# of rt_learn_bg says "attached to container" for each container ID.
rt_learn_wait_attached() {
	local id
	for id in "$@"; do
		rt_wait_line 30 "$RT_LEARN_PID" "$RT_TMP/learn.out" \
			"learner attach to container ${id:0:12}" "attached to container ${id:0:12}"
	done
}

# --- enforcement helpers ---------------------------------------------------

# Every test's daemons listen for the OCI hook in a directory of its own,
# so no hook of another test (or of the machine) ever waits for them.
export RTGUARD_HOOK_SOCKETS="$RT_TMP/hook-sockets"
mkdir -p "$RTGUARD_HOOK_SOCKETS"

# rt_hooks_setup: install rtguard's OCI hook in a private hooks directory
# (never the system's) and make rt_run use it: containers started from
# then on wait for this test's daemons before their first instruction.
rt_hooks_setup() {
	RT_HOOKS=$RT_TMP/hooks.d
	mkdir -p "$RT_HOOKS"
	"$RTGUARD" hook install --dir "$RT_HOOKS" --sockets "$RTGUARD_HOOK_SOCKETS" >/dev/null ||
		rt_fail "rtguard hook install failed"
	RT_PODMAN_OPTS="--hooks-dir $RT_HOOKS"
}

# rt_enforce_bg NAME [ARGS...]: start `rtguard enforce -v` with alert lines
# in $RT_TMP/alerts-NAME.jsonl and output in $RT_TMP/enforce-NAME.out;
# returns once it runs. Sets RT_ENF_PID.
rt_enforce_bg() {
	local n=$1; shift
	rt_bg "$RT_TMP/enforce-$n.out" "$RTGUARD" enforce --alerts "$RT_TMP/alerts-$n.jsonl" -v "$@"
	RT_ENF_PID=$RT_BG_PID
	rt_wait_for 15 grep -q "enforcing [0-9]* image" "$RT_TMP/enforce-$n.out" ||
		{ cat "$RT_TMP/enforce-$n.out" >&2; rt_fail "rtguard enforce did not start"; }
}

# rt_wait_protected NAME ID: until enforce NAME says how container ID is
# protected; fails unless it is fully protected (or monitored).
rt_wait_protected() {
	local out=$RT_TMP/enforce-$1.out id=${2:0:12}
	rt_wait_for 20 grep -qE "container $id .*: (protected|monitored|not |partly)" "$out" ||
		{ cat "$out" >&2; rt_fail "enforce did not attach to $id"; }
	grep -qE "container $id .*: (protected|monitored)" "$out" ||
		{ cat "$out" >&2; rt_fail "container $id is not fully protected"; }
}

# rt_enforce_stop NAME: SIGTERM, and the exit status must be 0.
rt_enforce_stop() {
	kill -TERM "$RT_ENF_PID"
	rt_wait_exit "$RT_ENF_PID" 20 || { cat "$RT_TMP/enforce-$1.out" >&2; rt_fail "enforce exited non-zero"; }
}

# rt_alerted NAME JQ: an alert line of enforce NAME satisfies JQ.
rt_alerted() { jq -se "any(.[]; $2)" "$RT_TMP/alerts-$1.jsonl" >/dev/null 2>&1; }
