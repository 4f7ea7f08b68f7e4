#!/usr/bin/env bash
# Protected from the first exec on Docker: Docker runs no OCI hooks, so
# its containers get rtguard's createRuntime hook from the runtime wrapper
# (rtguard-runc, registered as a runtime of this test's own). With it, a
# container of a baselined image is attached before its entrypoint runs:
# an unlearned command as the container's own command is refused 3 times
# of 3, a loop of 300 unlearned execs from the first instruction 300 times
# of 300, and a learned command runs with /usr read-only from its first
# instruction. Without it (Docker's default runtime) the same commands
# run until the engine's start event is answered: the test measures and
# prints that window. An enforcer that does not answer makes the start
# fail, with the reason. dockerd is started here (off the host network,
# as PLATFORM.md says) unless one runs already; then it is reused, its
# configuration given the runtime for the test and restored exactly.
. "$(dirname "$0")/lib.sh"
rt_setup
rt_audit_lock
if [ ! -x /usr/sbin/dockerd ] || [ ! -x /usr/bin/docker ]; then
	rt_skip "docker.io is not installed (scripts/install-deps.sh)"
fi
nginx_tar=/var/cache/rtguard-test/nginx-rootfs.tar
[ -s "$nginx_tar" ] || rt_skip "no nginx rootfs tarball (scripts/build-test-images.sh)"
wrapper=$(dirname "$RTGUARD")/rtguard-runc
[ -x "$wrapper" ] || rt_fail "no $wrapper beside $RTGUARD (make builds it)"
command -v runc >/dev/null || rt_skip "runc is not installed"
docker=/usr/bin/docker
sock=/var/run/docker.sock
d() { $docker -H "unix://$sock" "$@" 9>&-; }

# --- what this test adds to Docker, and removes whatever happens ------------
rt=rtguard-test-$$		# the runtime's name
img=localhost/rtt-enforce-docker-$$:test
_dk_pid=			# a dockerd this test started
_dk_reused=			# the pid of a running one, reused
_dk_cfg=			# its config file, changed
_dk_cfg_saved=			# ... its copy ("" if it did not exist)
_dk_cfg_dir_made=0
_dk_cleanup() {
	local n
	[ -n "${RT_ENF_PID:-}" ] && kill -CONT "$RT_ENF_PID" 2>/dev/null
	for n in $(d ps -a --format '{{.Names}}' 2>/dev/null | grep -- "^rtt-enforce-docker-.*-$$\$"); do
		d rm -f "$n" >/dev/null 2>&1
	done
	d rmi -f "$img" >/dev/null 2>&1
	if [ -n "$_dk_cfg" ]; then
		if [ -n "$_dk_cfg_saved" ]; then
			cp -a "$_dk_cfg_saved" "$_dk_cfg"
		else
			rm -f "$_dk_cfg"
			[ "$_dk_cfg_dir_made" = 1 ] && rmdir "$(dirname "$_dk_cfg")"
		fi
		kill -HUP "$_dk_reused" 2>/dev/null
	fi
	if [ -n "$_dk_pid" ]; then
		kill -TERM "$_dk_pid" 2>/dev/null
		for _ in $(seq 300); do kill -0 "$_dk_pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$_dk_pid" 2>/dev/null
	fi
}
# shellcheck disable=SC2154 # _dk_rc is set by the trap itself
trap '_dk_rc=$?; _dk_cleanup; (exit $_dk_rc); _rt_cleanup' EXIT

# The wrapper as Docker will run it: a script that makes its hook ask only
# this test's daemons ($RTGUARD_HOOK_SOCKETS, from lib.sh).
"$RTGUARD" runtime install --dir "$RT_TMP/bin" --sockets "$RTGUARD_HOOK_SOCKETS" \
	--runtime "$(command -v runc)" >/dev/null || rt_fail "rtguard runtime install"
runc_path=$RT_TMP/bin/rtguard-runc
out=$("$runc_path" --version 2>&1)
grep -q "^runc version" <<<"$out" || rt_fail "the wrapper does not pass through to runc: $out"

has_runtime() { d info --format '{{json .Runtimes}}' 2>/dev/null | grep -q "\"$rt\""; }
if d info >/dev/null 2>&1; then
	# Reused: register the runtime through its own configuration file,
	# reloaded by SIGHUP (dockerd reloads "runtimes"), restored on exit.
	pid=$(pgrep -x dockerd)
	[ "$(wc -w <<<"$pid")" = 1 ] || rt_skip "several dockerd run; cannot tell which serves $sock"
	_dk_reused=$pid
	_dk_cfg=$(tr '\0' '\n' <"/proc/$pid/cmdline" | awk '
		f { print; exit } /^--config-file=/ { sub(/^--config-file=/, ""); print; exit }
		/^--config-file$/ { f = 1 }')
	: "${_dk_cfg:=/etc/docker/daemon.json}"
	rt_log "reusing the running dockerd (pid $pid); adding runtime $rt to $_dk_cfg until the end"
	if [ -e "$_dk_cfg" ]; then
		_dk_cfg_saved=$RT_TMP/daemon.json.saved
		cp -a "$_dk_cfg" "$_dk_cfg_saved" || rt_fail "cannot save $_dk_cfg"
		base=$_dk_cfg_saved
	else
		[ -d "$(dirname "$_dk_cfg")" ] || { mkdir -p "$(dirname "$_dk_cfg")"; _dk_cfg_dir_made=1; }
		base=/dev/null
	fi
	jq -s --arg n "$rt" --arg p "$runc_path" '(.[0] // {}) | .runtimes[$n] = {path: $p}' \
		"$base" >"$RT_TMP/daemon.json.new" || rt_fail "$_dk_cfg is not JSON"
	cat "$RT_TMP/daemon.json.new" >"$_dk_cfg"
	kill -HUP "$pid"
	rt_wait_for 20 has_runtime || rt_skip "the running dockerd did not take runtime $rt on reload (see its log)"
else
	# As PLATFORM.md says: off the host's network and iptables, cgroupfs.
	jq -n --arg n "$rt" --arg p "$runc_path" '{bridge: "none", iptables: false,
		"ip-forward": false, "ip-masq": false,
		"exec-opts": ["native.cgroupdriver=cgroupfs"], runtimes: {($n): {path: $p}}}' \
		>"$RT_TMP/daemon.json"
	/usr/sbin/dockerd --config-file "$RT_TMP/daemon.json" >"$RT_TMP/dockerd.out" 2>&1 9>&- &
	_dk_pid=$!
	rt_wait_for 60 d info || { tail -20 "$RT_TMP/dockerd.out" >&2; rt_fail "dockerd did not start"; }
	has_runtime || rt_fail "dockerd does not list runtime $rt"
fi

d import --change 'CMD ["/bin/sh"]' "$nginx_tar" "$img" >/dev/null || rt_fail "docker import"
# Containers are named rtt-enforce-docker-NAME-$$: the EXIT trap removes them.
drun() {	# drun NAME ARGS...: a --rm container through the wrapper
	local n=rtt-enforce-docker-$1-$$; shift
	d run --rm --name "$n" --network none --runtime "$rt" "$@"
}
plain() {	# plain NAME ARGS...: the same with Docker's default runtime
	local n=rtt-enforce-docker-$1-$$; shift
	d run --rm --name "$n" --network none "$@"
}

# --- learn a little workload of the image -------------------------------------
rt_learn_bg 30 "$img" --runtime-socket "$sock"
id=$(d run -d --name "rtt-enforce-docker-learn-$$" --network none --runtime "$rt" "$img" sleep 600) ||
	rt_fail "docker run through the wrapper (no daemon asked yet)"
rt_learn_wait_attached "$id"
d exec "rtt-enforce-docker-learn-$$" sh -c 'ls / >/dev/null; cat /etc/hostname >/dev/null; sleep 0.1' ||
	rt_fail "workload"
kill -INT "$RT_LEARN_PID"
rt_wait_exit "$RT_LEARN_PID" 20 || { cat "$RT_TMP/learn.out" >&2; rt_fail "learn failed"; }
d rm -f "rtt-enforce-docker-learn-$$" >/dev/null
[ -n "$(rt_sql "SELECT id FROM images WHERE ref = '$img'")" ] ||
	{ cat "$RT_TMP/learn.out" >&2; rt_fail "no baseline for $img"; }

# Without any enforcer, the wrapper's hook lets containers start.
out=$(drun none "$img" /usr/bin/whoami 2>&1) || rt_fail "with no enforcer, the wrapper stopped a container: $out"

force=
"$RTGUARD" enforce --help | grep -q -- --force && force=--force	# a 30 s learn is "not ready"
rt_enforce_bg docker --runtime-socket "$sock" $force
a=docker
# shellcheck disable=SC2016 # expanded by the container's shell
loop='i=0; f=0; while [ $i -lt 300 ]; do /usr/bin/id >/dev/null 2>&1 || f=$((f+1)); i=$((i+1)); done; echo "refused $f"'

# 1. The container's own command, never learned: refused, 3 times of 3.
for i in 1 2 3; do
	out=$(drun "whoami$i" "$img" /usr/bin/whoami 2>&1) && rt_fail "whoami ran as the container's command: $out"
	grep -q "not permitted" <<<"$out" || rt_fail "whoami failed without EPERM: $out"
done
[ "$(jq -s '[.[] | select(.path == "/usr/bin/whoami") | .count] | add' "$RT_TMP/alerts-$a.jsonl")" -ge 3 ] ||
	{ cat "$RT_TMP/alerts-$a.jsonl" >&2; rt_fail "the three refusals were not recorded"; }
# 2. A loop of 300 unlearned execs from the first instruction: all refused.
out=$(drun loop "$img" sh -c "$loop" 2>&1)
[ "$out" = "refused 300" ] || rt_fail "unlearned execs at start, through the wrapper: $out"
# 3. docker exec right after start; the container was protected at create.
late=$(d run -d --name "rtt-enforce-docker-late-$$" --network none --runtime "$rt" "$img" sleep 600) ||
	rt_fail "docker run -d through the wrapper"
out=$(d exec "rtt-enforce-docker-late-$$" /usr/bin/whoami 2>&1) && rt_fail "whoami ran by docker exec right after start: $out"
grep -q "protected: .*mounts" <(grep "container ${late:0:12}" "$RT_TMP/enforce-$a.out") ||
	{ cat "$RT_TMP/enforce-$a.out" >&2; rt_fail "the late container was not protected at start"; }
d rm -f "rtt-enforce-docker-late-$$" >/dev/null
# 4. A learned command runs, and the protection is in place before it.
out=$(drun learned "$img" sh -c 'ls / >/dev/null && cat /proc/self/mountinfo' 2>&1) ||
	rt_fail "a learned command failed: $out"
grep -q " /usr ro," <<<"$out" || rt_fail "/usr was not read-only at the first instruction: $out"

# 5. Without the wrapper: what runs before the engine's start event is
# answered. Measured, not asserted: it is the window the wrapper closes.
ran=0
for i in 1 2 3; do
	out=$(plain "plainwhoami$i" "$img" /usr/bin/whoami 2>&1) && [ "$out" = root ] && ran=$((ran + 1))
done
through=() latency=()
for i in 1 2 3; do
	name=rtt-enforce-docker-plainloop$i-$$
	since=$(date +%s.%N)
	out=$(plain "plainloop$i" "$img" sh -c "$loop" 2>&1)
	refused=${out#refused }
	[[ $refused =~ ^[0-9]+$ ]] || rt_fail "the loop without the wrapper did not finish: $out"
	through+=("$((300 - refused))")
	ev=$(d events --since "$since" --until "$(date +%s.%N)" --filter "container=$name" \
		--filter event=start --format '{{.ID}} {{.TimeNano}}' | head -1)
	# The first refusal recorded for it, against the engine's start event.
	first=$(jq -rs --arg c "${ev%% *}" \
		'[.[] | select(.container == $c and .decision == "denied") | .time] | min // empty' \
		"$RT_TMP/alerts-$a.jsonl")
	if [ -n "$first" ] && [ -n "$ev" ]; then
		latency+=("$(( $(date -d "$first" +%s%N) / 1000000 - ${ev##* } / 1000000 )) ms")
	else
		latency+=("none (no refusal)")
	fi
done
rt_log "measured without the wrapper (Docker's default runtime): whoami as the container's command" \
	"ran $ran of 3 times; of 300 unlearned execs from the first instruction, ${through[*]} ran" \
	"before protection (3 runs); the first refusal came $(IFS=,; echo "${latency[*]}")" \
	"after the engine's start event"

# 6. An enforcer that does not answer: the container does not start, and
# the error says why, within the hook's timeout.
kill -STOP "$RT_ENF_PID"
start=$(date +%s)
out=$(drun stopped "$img" /usr/bin/ls / 2>&1); rc=$?
kill -CONT "$RT_ENF_PID"
[ $rc -ne 0 ] || rt_fail "a container started while the enforcer could not protect it"
grep -q "did not answer" <<<"$out" || rt_fail "the hook's failure does not say why: $out"
[ $(( $(date +%s) - start )) -le 25 ] || rt_fail "the hook waited longer than its timeout"
rt_log "with the enforcer stopped, docker run said: $(grep -o 'rtguard hook:.*did not answer within [0-9]* s' <<<"$out" | head -1)"
out=$(drun after "$img" /usr/bin/ls / 2>&1) || rt_fail "after SIGCONT, a learned command failed: $out"
rt_enforce_stop docker
rt_pass
