#!/usr/bin/env bash
# learn.sh: what learning costs an application and what it loses, for a
# web server (nginx + wrk) and a database (Redis + redis-benchmark, both
# clients on the host): throughput with no rtguard, in the first seconds
# of learning a fresh image (every syscall still audited), once learning
# has converged, and with no rtguard again; audit records and records
# lost by the kernel per learn. The container is started after learning
# began, through the OCI hook, as the readiness verdict wants: a
# container started before audit was enabled would not be audited at all
# and would make learning look free. Root only; not part of make check.
#
#   RTGUARD            the binary (default: ../cli/rtguard)
#   BENCH_WINDOW_S     seconds per load window (default 10)
#   BENCH_APPS         nginx redis (default both)
#   BENCH_PERF         a directory: perf record -a -g and perf stat -a of
#                      the two learning windows are written there
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
RTGUARD=${RTGUARD:-$top/cli/rtguard}
S=${BENCH_WINDOW_S:-10}
APPS=${BENCH_APPS:-nginx redis}
say() { echo "bench-learn: $*" >&2; }
die() { say "$*"; exit 1; }
[ "$(id -u)" -eq 0 ] || die "run as root"
[ -x "$RTGUARD" ] || die "no rtguard binary at $RTGUARD (set RTGUARD=)"
. "$top/scripts/podman-env.sh"
T=$(mktemp -d /tmp/rtbench-learn.XXXXXX)
export RTGUARD_DB=$T/db
# A hooks directory and daemon sockets of the bench's own: its containers
# wait only for its learner, and nobody else's containers for it.
export RTGUARD_HOOK_SOCKETS=$T/hook-sockets
mkdir -p "$RTGUARD_HOOK_SOCKETS"
"$RTGUARD" hook install --dir "$T/hooks" --sockets "$RTGUARD_HOOK_SOCKETS" >/dev/null || die "hook install"
ctrs=() pids=()
cleanup() {
	local p c
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	for c in "${ctrs[@]}"; do podman rm -f -t 0 "$c" >/dev/null 2>&1; done
	[ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$T"
}
trap cleanup EXIT
exec 9>/run/rtguard-audit.lock
flock -w 600 9 || die "audit lock busy"
port() { local p; for _ in $(seq 50); do p=$((20000 + RANDOM % 20000)); ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }; done; }
wait_for() { local i; for ((i = 0; i < $1 * 10; i++)); do "${@:2}" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }
# The learner's CPU time so far (utime + stime), in clock ticks.
cpu_of() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# window_start NAME / window_end NAME: around one learning window, the
# learner's CPU over it and, with BENCH_PERF, a system-wide profile.
window_start() {
	cpu0=$(cpu_of "$lp")
	perfs=()
	[ -n "${BENCH_PERF:-}" ] || return 0
	mkdir -p "$BENCH_PERF"
	perf record -q -a -g -o "$BENCH_PERF/$app-$1.data" -- sleep "$S" >/dev/null 2>&1 9>&- &
	perfs+=($!)
	perf stat -a -o "$BENCH_PERF/$app-$1.stat" -- sleep "$S" >/dev/null 2>&1 9>&- &
	perfs+=($!)
}
window_end() {
	local p
	for p in "${perfs[@]}"; do wait "$p"; done
	cpu_s=$(awk -v a="$cpu0" -v b="$(cpu_of "$lp")" -v t="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", (b - a) / t }')
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

# load APP PORT: one window's throughput (requests/s).
load() {
	case $1 in
	nginx) wrk -t2 -c16 -d"${S}s" "http://127.0.0.1:$2/" | awk '/^Requests\/sec:/ { print $2 }' ;;
	redis) timeout $((S + 5)) redis-benchmark -p "$2" -q -c 16 -n $((S * 20000)) -t set,get --csv 2>/dev/null |
		awk -F'"' '/SET|GET/ { s += $4; n++ } END { if (n) printf "%.0f", s / n }' ;;
	esac
}
# start APP NAME PORT [podman options]: a container serving on PORT.
start() {
	local app=$1 name=$2 p=$3; shift 3
	ctrs+=("$name")
	case $app in
	nginx)
		printf 'server {\n\tlisten %s default_server;\n\troot /var/www/html;\n\tindex index.nginx-debian.html;\n\taccess_log /var/log/nginx/access.log;\n\tlocation / { try_files $uri $uri/ =404; }\n}\n' "$p" >"$T/site-$p.conf"
		podman --hooks-dir "$T/hooks" run -d --name "$name" --network host "$@" \
			-v "$T/site-$p.conf:/etc/nginx/sites-enabled/default:ro" "$IMG" >/dev/null 9>&- || return 1
		wait_for 20 curl -sf -o /dev/null "http://127.0.0.1:$p/" ;;
	redis)
		podman --hooks-dir "$T/hooks" run -d --name "$name" --network host "$@" "$IMG" \
			/usr/local/bin/docker-entrypoint.sh --port "$p" >/dev/null 9>&- || return 1
		wait_for 20 redis-cli -p "$p" ping ;;
	esac
}

for app in $APPS; do
	case $app in
	nginx) command -v wrk >/dev/null || { say "wrk missing: nginx skipped"; continue; }
		base=localhost/rtguard-nginx:test ;;
	redis) command -v redis-benchmark >/dev/null || { say "redis-tools missing: redis skipped"; continue; }
		base=localhost/rtguard-redis:test ;;
	esac
	podman image exists "$base" || { say "$base missing (scripts/build-test-images.sh)"; continue; }
	# An image id of its own: no other daemon on the machine attaches it.
	IMG=localhost/rtbench-learn-$app-$$:bench
	printf 'FROM %s\nLABEL rtbench=%s\n' "$base" "$$" | podman build -q -t "$IMG" -f - "$T" >/dev/null 9>&- || die "podman build"
	p=$(port)
	start "$app" "rtbench-$app-none-$$" "$p" || die "$app does not start"
	load "$app" "$p" >/dev/null	# warm up
	none1=$(load "$app" "$p")
	podman rm -f -t 0 "rtbench-$app-none-$$" >/dev/null 9>&-
	"$RTGUARD" learn --image "$IMG" --reset --until-stable $((S + 2)) --duration $((6 * S + 60)) --no-progress \
		>"$T/learn-$app.log" 2>&1 &
	lp=$!; pids+=("$lp")
	wait_for 30 grep -q "no running container matches" "$T/learn-$app.log" || die "learner not ready: $(cat "$T/learn-$app.log")"
	p=$(port)
	t0=$(date +%s.%N)
	start "$app" "rtbench-$app-$$" "$p" || die "$app does not start while learning"
	up=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
	window_start first
	first=$(load "$app" "$p")
	window_end first
	cpu_first=$cpu_s
	# Keep the load on until the learner says nothing new came for 5 s.
	while kill -0 "$lp" 2>/dev/null && ! grep -q converged "$T/learn-$app.log"; do load "$app" "$p" >/dev/null; done
	wait "$lp"
	# Converged: learning again what is known, the rule narrowed to what
	# the image never used.
	"$RTGUARD" learn --image "$IMG" --duration $((S + 5)) --no-progress >"$T/learn2-$app.log" 2>&1 &
	lp=$!; pids+=("$lp")
	wait_for 30 grep -q "attached to container\|learning image" "$T/learn2-$app.log"
	window_start converged
	conv=$(load "$app" "$p")
	window_end converged
	cpu_conv=$cpu_s
	wait "$lp"
	none2=$(load "$app" "$p")
	base_rps=$(awk -v a="$none1" -v b="$none2" 'BEGIN { print (a + b) / 2 }')
	l1=$(grep -o 'learned [0-9]* new .*' "$T/learn-$app.log" | head -1)
	l2=$(grep -o 'learned [0-9]* new .*' "$T/learn2-$app.log" | head -1)
	ready=$(grep -o 'baseline ready to enforce\|baseline not ready yet: .*' "$T/learn-$app.log" | head -3 | tr '\n' ';')
	printf '%-6s none %s/s (before %s, after %s); start under learning %ss; learning from nothing (first %ss) %s/s = %s; converged %s/s = %s\n' \
		"$app" "$base_rps" "$none1" "$none2" "$up" "$S" "$first" "$(ratio "$first" "$base_rps")" "$conv" "$(ratio "$conv" "$base_rps")"
	printf '%-6s learn from nothing: %s\n%-6s learn converged:    %s\n%-6s readiness: %s\n' "$app" "$l1" "$app" "$l2" "$app" "$ready"
	printf '%-6s learner CPU: %ss in the first %ss, %ss in the converged %ss\n' "$app" "$cpu_first" "$S" "$cpu_conv" "$S"
	podman rm -f -t 0 "rtbench-$app-$$" >/dev/null 9>&-
	podman rmi -f "$IMG" >/dev/null 9>&-
done
