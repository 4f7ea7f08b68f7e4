#!/usr/bin/env bash
# run.sh: rtguard's benchmarks, side by side with no rtguard and with the
# peers (fapolicyd for enforcement, auditd for learning), in one run.
# Root only; not part of `make check`. See bench/README.md.
#
#   BENCH_SECTIONS  any of: exec open learn scale  (default: all four)
#   BENCH_CASES     exec/open cases (default: none enforce lockdirs monitor
#                   fapolicyd; lockdirs is enforce --lock-dirs)
#   RTGUARD         the binary (default: ../build/plain/cli/rtguard, made by
#                   scripts/build.sh)
#   BENCH_EXECS     execs per measured exec run          (default 1000)
#   BENCH_OPENS     opens per measured open run          (default 20000)
#   BENCH_REPS      measured runs per case, median kept  (default 3)
#   BENCH_WRK_S     seconds per wrk window               (default 10)
#   BENCH_SCALE_N   containers for the scale section     (default 50)
#   BENCH_EVENTS    events in the report database        (default 1000000)
#   BENCH_KEEP=1    keep the work directory (logs, databases)
#
# Everything started here is named rtbench-*, registered, and removed on exit.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
RTGUARD=${RTGUARD:-$top/build/plain/cli/rtguard}
SECTIONS=${BENCH_SECTIONS:-exec open learn scale}
N_EXEC=${BENCH_EXECS:-1000}
N_OPEN=${BENCH_OPENS:-20000}
REPS=${BENCH_REPS:-3}
WRK_S=${BENCH_WRK_S:-10}
SCALE_N=${BENCH_SCALE_N:-50}
N_EVENTS=${BENCH_EVENTS:-1000000}
LOCK=/run/rtguard-audit.lock
BB=localhost/rtbench-busybox:bench
NGINX=localhost/rtbench-nginx:bench
PORT=18080

die() { echo "bench: $*" >&2; exit 1; }
calc() { awk "BEGIN { printf \"%.${2:-3}f\", $1 }"; }	# calc EXPR [DECIMALS]
cpu_s() { awk -v t="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / t }' "/proc/$1/stat"; }
say() { echo "bench: $*" >&2; }
want() { case " $SECTIONS " in *" $1 "*) return 0 ;; esac; return 1; }

[ "$(id -u)" -eq 0 ] || die "run as root"
[ -x "$RTGUARD" ] || die "no rtguard binary at $RTGUARD (set RTGUARD=)"
for t in podman sqlite3 flock auditctl; do
	command -v $t >/dev/null || die "$t is not installed"
done
. "$top/scripts/podman-env.sh"
SOCK=$RTGUARD_TEST_SOCKET
"$top/scripts/start-podman-api.sh" >/dev/null || die "no Podman API"
"$here/images.sh" >/dev/null || die "building the bench images failed"

T=$(mktemp -d /tmp/rtbench.XXXXXX)
DB=$T/rtbench.db
export RTGUARD_DB=$DB
mkdir -p "$T/policies"
RESULTS=$T/results
: >"$RESULTS"
NOTES=$T/notes
: >"$NOTES"
containers=()
pids=()
fapolicyd_on=0

cleanup() {
	local p c
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	[ "$fapolicyd_on" = 1 ] && "$here/fapolicyd.sh" stop "$T/fapolicyd"
	for c in "${containers[@]}"; do podman rm -f -t 0 "$c" >/dev/null 2>&1; done
	if [ "${BENCH_KEEP:-0}" = 1 ]; then say "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# row SECTION WORKLOAD CASE VALUE UNIT [RATIO] [DETAIL]: RATIO empty means
# VALUE over the 'none' row of the same workload.
row() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "${6:-}" "${7:-}" >>"$RESULTS"; }
note() { echo "$*" >>"$NOTES"; say "$*"; }
value() { awk -F'\t' -v w="$1" -v c="$2" '$2 == w && $3 == c { print $4 }' "$RESULTS" | tail -1; }

# run_ctr NAME IMAGE [PODMAN-ARGS...] -- CMD...: start a registered container.
run_ctr() {
	local name=$1 image=$2 args=()
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do args+=("$1"); shift; done
	shift
	containers+=("$name")
	podman rm -f -t 0 "$name" >/dev/null 2>&1
	podman run -d --name "$name" --network host "${args[@]}" "$image" "$@" >/dev/null
}

# bg OUT CMD...: a registered background process; sets BG.
bg() { local out=$1; shift; "$@" >"$out" 2>&1 </dev/null & BG=$!; pids+=("$BG"); }
stop_bg() {
	kill -TERM "$1" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}
wait_for() {	# wait_for SECONDS CMD...
	local i
	for ((i = 0; i < $1 * 10; i++)); do "${@:2}" >/dev/null 2>&1 && return 0; sleep 0.1; done
	return 1
}

# ---- loops inside a container, timed inside it by /proc/uptime (10 ms) ----
# Busybox's date has no %N, and timing inside leaves out podman exec.
# loop_rate CTR N OPS_PER_ITER BODY: prints operations per second.
loop_rate() {
	local c=$1 n=$2 k=$3 body=$4 out
	out=$(podman exec "$c" sh -c "set -- /usr/local/bin/t*; read a _ </proc/uptime; i=0; while [ \$i -lt $n ]; do $body; i=\$((i+1)); done; read b _ </proc/uptime; echo \$a \$b" </dev/null) || return 1
	awk -v o="$out" -v n="$n" -v k="$k" 'BEGIN { split(o, t, " "); d = t[2] - t[1]; if (d < 0.01) d = 0.01; printf "%.0f\n", n * k / d }'
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# Workloads: NAME N OPS BODY. Execs exec a binary, opens only open (a shell
# redirection of the builtin ':', so no exec is mixed in).
WL_NAMES=()
declare -A WL_N WL_K WL_BODY WL_SEC
wl() { WL_NAMES+=("$2"); WL_SEC[$2]=$1; WL_N[$2]=$3; WL_K[$2]=$4; WL_BODY[$2]=$5; }
want exec && {
	wl exec exec_true "$N_EXEC" 1 '/bin/true'
	wl exec exec_50_distinct "$((N_EXEC / 50))" 50 'for f; do $f; done'
}
want open && {
	# /etc/rtbench, not /etc/hostname: podman bind-mounts /etc/hostname,
	# /etc/hosts and /etc/resolv.conf from the host, off the overlay.
	wl open open_ro_protected "$N_OPEN" 1 ': </etc/rtbench'
	wl open open_ro_tmp "$N_OPEN" 1 ': </tmp/rtbench-r'
	wl open open_wr_tmp "$N_OPEN" 1 ': >/tmp/rtbench-w'
}

# measure_once CASE REP CTR: every workload, a warm-up run (a tenth of
# the size) then one measured run, into $RAW as "workload case rep ops/s".
RAW=$T/raw
: >"$RAW"
measure_once() {
	local cse=$1 rep=$2 c=$3 w n v
	for w in "${WL_NAMES[@]}"; do
		n=${WL_N[$w]}
		loop_rate "$c" $(((n + 9) / 10)) "${WL_K[$w]}" "${WL_BODY[$w]}" >/dev/null
		v=$(loop_rate "$c" "$n" "${WL_K[$w]}" "${WL_BODY[$w]}")
		echo "$w $cse $rep $v" >>"$RAW"
		say "rep $rep $cse $w: $v ops/s"
	done
}

# summarize: per workload and case, the median ops/s over the repetitions
# and the median of the per-repetition ratios to 'none' (the cases of one
# repetition run back to back, so the pairs share the machine's load).
summarize() {
	local w cse vals ratios
	for w in "${WL_NAMES[@]}"; do
		for cse in $CASES; do
			vals=$(awk -v w="$w" -v c="$cse" '$1 == w && $2 == c { print $4 }' "$RAW")
			[ -n "$vals" ] || continue
			ratios=$(awk -v w="$w" -v c="$cse" '
				$1 == w && $2 == "none" { b[$3] = $4 }
				$1 == w && $2 == c { v[$3] = $4 }
				END { for (r in v) if (b[r] > 0) printf "%.3f\n", v[r] / b[r] }' "$RAW")
			row "${WL_SEC[$w]}" "$w" "$cse" "$(echo "$vals" | median)" ops/s \
			    "$(echo "$ratios" | median)" "runs: $(echo $vals)"
		done
	done
}

# learn_window IMAGE SECONDS LOG: rtguard learn in the background under the
# audit lock; returns once it has attached to a container of IMAGE.
learn_start() {
	bg "$3" flock "$LOCK" "$RTGUARD" learn --image "$1" --duration "$2" --no-progress -v
	LEARN_PID=$BG
	wait_for 300 grep -q 'attached to container' "$3" || die "rtguard learn did not attach: $(cat "$3")"
}
learn_wait() { wait "$LEARN_PID"; grep -q 'learned ' "$1" || die "rtguard learn failed: $(tail -3 "$1")"; }

# enforce_start LOG [ARGS...]: rtguard enforce on the bench image; returns
# once it enforces at least one container.
enforce_start() {
	local log=$1
	shift
	bg "$log" "$RTGUARD" enforce --image "$BB" --policy-dir "$T/policies" \
	    --alerts "$T/alerts" --duration 3600 --force "$@"
	ENF_PID=$BG
	wait_for 120 grep -qE 'enforcing [1-9][0-9]* container' "$log" ||
		die "rtguard enforce did not start: $(cat "$log")"
}

# ---------------------------------------------------------------- exec/open
CASES=${BENCH_CASES:-none enforce lockdirs monitor fapolicyd}
FA_OK=1

# case_start CASE REP CTR / case_stop CASE REP: bring a case's tool up/down.
case_start() {
	case $1 in
	none) ;;
	enforce) enforce_start "$T/enforce-$2.log" ;;
	lockdirs) enforce_start "$T/lockdirs-$2.log" --lock-dirs ;;
	monitor) enforce_start "$T/monitor-$2.log" --monitor ;;
	fapolicyd) fapolicyd_start "$3" ;;
	esac
}
case_stop() {
	case $1 in
	enforce | lockdirs | monitor)
		stop_bg "$ENF_PID"
		note "$1 rep $2: $(grep -o 'stopped: .*' "$T/$1-$2.log")" ;;
	fapolicyd)
		"$here/fapolicyd.sh" stop "$T/fapolicyd"
		fapolicyd_on=0 ;;
	esac
}

phase_enforce() {
	local c=rtbench-exec-$$ rep cse
	run_ctr "$c" "$BB" -- sleep 1d || die "podman run $BB failed"
	podman exec "$c" sh -c 'echo r >/tmp/rtbench-r; cp /usr/local/bin/t00 /tmp/rtbench-denied' </dev/null
	fapolicyd_check "$c"

	say "learning $BB (the same loops, short)"
	learn_start "$BB" 15 "$T/learn-bb.log"
	for w in "${WL_NAMES[@]}"; do
		loop_rate "$c" 3 "${WL_K[$w]}" "${WL_BODY[$w]}" >/dev/null
	done
	learn_wait "$T/learn-bb.log"
	note "learn (busybox): $(grep -o 'learned .*' "$T/learn-bb.log")"

	for ((rep = 1; rep <= REPS; rep++)); do
		for cse in $CASES; do
			[ "$cse" = fapolicyd ] && [ "$FA_OK" = 0 ] && continue
			case_start "$cse" "$rep" "$c" || continue
			measure_once "$cse" "$rep" "$c"
			case_stop "$cse" "$rep"
		done
	done
	summarize
	podman rm -f -t 0 "$c" >/dev/null 2>&1
}

# fapolicyd_check CTR: whether the peer can run here; says why not.
fapolicyd_check() {
	case " $CASES " in *" fapolicyd "*) ;; *) FA_OK=0; return ;; esac
	if ! command -v fapolicyd >/dev/null; then
		note "fapolicyd: not installed (apt-get install -y fapolicyd); peer skipped"
		FA_OK=0
		return
	fi
	merged=$(podman inspect -f '{{.GraphDriver.Data.MergedDir}}' "$1")
	# The trust list: every executable of the image, as seen in the container.
	FA_TRUST=()
	for f in "$merged/bin/busybox" "$merged"/usr/local/bin/t*; do
		FA_TRUST+=("${f#"$merged"} $(stat -c %s "$f") $(sha256sum <"$f" | cut -d' ' -f1)")
	done
}

# fapolicyd_start CTR: start the peer; ready once the bench's one denied
# path is denied in the container (which proves it sees the container).
fapolicyd_start() {
	local c=$1 rc
	fapolicyd_on=1
	"$here/fapolicyd.sh" start "$T/fapolicyd" "${FA_TRUST[@]}"
	if ! wait_for 30 sh -c "! podman exec $c /tmp/rtbench-denied </dev/null"; then
		note "fapolicyd: FAILED, it never denied /tmp/rtbench-denied in the container: $(tail -5 "$T/fapolicyd/fapolicyd.log" | tr '\n' ' ')"
		"$here/fapolicyd.sh" stop "$T/fapolicyd"
		fapolicyd_on=0
		FA_OK=0
		return 1
	fi
	podman exec "$c" /tmp/rtbench-denied </dev/null >/dev/null 2>&1
	rc=$?
	[ "$FA_NOTED" = 1 ] || note "fapolicyd: denies /tmp/rtbench-denied in the container (podman exec rc $rc), allow-lists the ${#FA_TRUST[@]} image binaries by path, size and SHA-256"
	FA_NOTED=1
}
FA_NOTED=0

# -------------------------------------------------------------------- learn
phase_learn() {
	local c=rtbench-nginx-$$ url=http://127.0.0.1:$PORT/ out rps rec lost secs
	command -v wrk >/dev/null || { note "learn: wrk not installed; section skipped"; return; }
	command -v auditd >/dev/null || note "learn: auditd not installed; peer skipped"
	printf 'server {\n\tlisten %s default_server;\n\troot /var/www/html;\n\tindex index.nginx-debian.html;\n\taccess_log /var/log/nginx/access.log;\n\tlocation / { try_files $uri $uri/ =404; }\n}\n' "$PORT" >"$T/nginx-site.conf"
	run_ctr "$c" "$NGINX" -v "$T/nginx-site.conf:/etc/nginx/sites-enabled/default:ro" \
	    -- nginx -g 'daemon off;' || die "podman run $NGINX failed"
	wait_for 30 curl -sf -o /dev/null "$url" || die "nginx does not answer on $url"
	# The syscall loop: a small shell job beside the server, about 20 execs/s.
	podman exec -d "$c" sh -c 'while :; do ls / >/dev/null; head -c 64 /dev/urandom | od >/dev/null; sleep 0.1; done' </dev/null >/dev/null
	wrk_rps() { wrk -t2 -c16 -d"${WRK_S}s" "$url" | awk '/^Requests\/sec:/ { print $2 }'; }
	wrk -t2 -c16 -d2s "$url" >/dev/null
	local none1 none2 first conv base
	none1=$(wrk_rps)
	say "nginx none (before): $none1 req/s"

	# rtguard learn: the first window while the audit rule still covers
	# every unlearned syscall, the second after it has converged.
	learn_start "$NGINX" $((3 * WRK_S + 10)) "$T/learn-nginx.log"
	first=$(wrk_rps)
	say "nginx learn first: $first req/s"
	sleep "$WRK_S"
	conv=$(wrk_rps)
	say "nginx learn converged: $conv req/s"
	learn_wait "$T/learn-nginx.log"
	out=$(grep -o 'learned .*' "$T/learn-nginx.log")
	note "learn (nginx): $out"
	none2=$(wrk_rps)
	say "nginx none (after): $none2 req/s"
	# Ratios against the mean of the runs without rtguard before and after.
	base=$(echo "($none1 + $none2) / 2" | bc -l)
	ratio() { echo "$1 / $base" | bc -l | xargs printf '%.3f'; }
	row learn nginx_wrk "none(before)" "$none1" req/s "$(ratio "$none1")"
	row learn nginx_wrk "none(after)" "$none2" req/s "$(ratio "$none2")"
	row learn nginx_wrk "learn(first ${WRK_S}s)" "$first" req/s "$(ratio "$first")"
	row learn nginx_wrk "learn(converged)" "$conv" req/s "$(ratio "$conv")"
	rec=$(echo "$out" | sed -n 's/.*(\([0-9]*\) audit records, \(-*[0-9]*\) lost.*/\1/p')
	lost=$(echo "$out" | sed -n 's/.*audit records, \(-*[0-9]*\) lost.*/\1/p')
	secs=$(echo "$out" | sed -n 's/.* in \([0-9]*\)s (.*/\1/p')
	row learn audit_records_per_s "learn(whole run)" "$((rec / (secs > 0 ? secs : 1)))" rec/s "" "lost $lost in ${secs}s"

	if command -v auditd >/dev/null; then
		if ! out=$(flock "$LOCK" "$here/auditd-window.sh" "$T/auditd" "$WRK_S" "$url" 2>"$T/auditd.err"); then
			note "auditd: window failed: $(cat "$T/auditd.err")"
			podman rm -f -t 0 "$c" >/dev/null 2>&1
			return
		fi
		note "auditd -S all: $out"
		rps=${out#rps=}; rps=${rps%% *}
		rec=$(echo "$out" | sed 's/.*records=\([0-9]*\).*/\1/')
		lost=$(echo "$out" | sed 's/.*lost=\(-*[0-9]*\).*/\1/')
		secs=$(echo "$out" | sed 's/.*seconds=\([0-9.]*\).*/\1/')
		row learn nginx_wrk "auditd(-S all)" "$rps" req/s "$(ratio "$rps")"
		row learn audit_records_per_s "auditd(-S all)" "$(calc "$rec / $secs" 0)" rec/s "" "lost $lost in ${secs}s"
	fi
	podman rm -f -t 0 "$c" >/dev/null 2>&1
}

# -------------------------------------------------------------------- scale
phase_scale() {
	local i n=0 c rss cpu t0 t1 jobs=()
	if [ -z "$(sqlite3 -readonly "$DB" "SELECT 1 FROM images i JOIN executables e ON e.image = i.id WHERE i.ref = '$BB' LIMIT 1" 2>/dev/null)" ]; then
		run_ctr rtbench-exec-$$ "$BB" -- sleep 1d
		learn_start "$BB" 8 "$T/learn-bb.log"
		podman exec rtbench-exec-$$ sh -c '/bin/true; for f in /usr/local/bin/t*; do $f; done' </dev/null
		learn_wait "$T/learn-bb.log"
		podman rm -f -t 0 rtbench-exec-$$ >/dev/null 2>&1
	fi
	say "starting $SCALE_N busybox containers"
	for ((i = 1; i <= SCALE_N; i++)); do
		containers+=("rtbench-s$i-$$")
	done
	for ((i = 1; i <= SCALE_N; i++)); do
		podman run -d --name "rtbench-s$i-$$" --network host "$BB" sleep 1d >/dev/null &
		jobs+=($!)
		((i % 4 == 0)) && { wait "${jobs[@]}"; jobs=(); }
	done
	[ ${#jobs[@]} -gt 0 ] && wait "${jobs[@]}"
	jobs=()
	t0=$(date +%s.%N)
	enforce_start "$T/enforce-scale.log"
	t1=$(date +%s.%N)
	note "scale: $(grep -o 'enforcing [0-9]* container.*' "$T/enforce-scale.log")"
	row scale enforce_attach_s "$SCALE_N ctrs" "$(calc "$t1 - $t0")" s "" "start to 'enforcing N containers'"
	sleep 2
	read -r rss cpu < <(ps -o rss=,time= -p "$ENF_PID")
	cpu=$(cpu_s "$ENF_PID")
	row scale enforce_rss_idle "$SCALE_N ctrs" "$((rss / 1024))" MiB "" "ps rss $rss kB, cpu ${cpu}s since start"
	# Some activity: 200 execs and 800 opens in each of 10 containers.
	jobs=()
	for ((i = 1; i <= 10 && i <= SCALE_N; i++)); do
		podman exec "rtbench-s$i-$$" sh -c 'i=0; while [ $i -lt 200 ]; do /bin/true; : </etc/rtbench; : </etc/passwd; : </etc/group; : </bin/busybox; i=$((i+1)); done' </dev/null &
		jobs+=($!)
	done
	wait "${jobs[@]}"
	read -r rss cpu < <(ps -o rss=,time= -p "$ENF_PID")
	cpu=$(cpu_s "$ENF_PID")
	row scale enforce_rss_busy "$SCALE_N ctrs" "$((rss / 1024))" MiB "" "ps rss $rss kB, cpu ${cpu}s after 2000 execs + 8000 opens"
	stop_bg "$ENF_PID"
	note "enforce (scale): $(grep -o 'stopped: .*' "$T/enforce-scale.log")"
	say "removing the scale containers"
	jobs=()
	for ((i = 1; i <= SCALE_N; i++)); do
		podman rm -f -t 0 "rtbench-s$i-$$" >/dev/null 2>&1 &
		jobs+=($!)
		((i % 8 == 0)) && { wait "${jobs[@]}"; jobs=(); }
	done
	[ ${#jobs[@]} -gt 0 ] && wait "${jobs[@]}"
	phase_report
}

phase_report() {
	local rdb=$T/report.db t0 t1 now
	cp "$DB" "$rdb"
	now=$(date +%s%3N)
	t0=$(date +%s.%N)
	sqlite3 "$rdb" "PRAGMA journal_mode=WAL;
BEGIN;
WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < $N_EVENTS)
INSERT INTO events (time_ms, image_ref, container_id, pid, ppid, exe, kind, path, action, reason)
SELECT $now - (x * 50), '$BB', printf('%064x', x % 50), 1000 + x % 5000, 1,
    '/bin/busybox', x % 2, '/usr/local/bin/drift' || (x % 200), (x / 3) % 2,
    CASE x % 3 WHEN 0 THEN 'not learned' WHEN 1 THEN 'drift: not from the image' ELSE 'protected directory' END
FROM n;
COMMIT;" >/dev/null || { note "report: inserting events with sqlite3 failed"; return; }
	t1=$(date +%s.%N)
	row scale sqlite3_insert_1M "events" "$(calc "$N_EVENTS / ($t1 - $t0)" 0)" rows/s "" "sqlite3 CLI, one transaction, 3 indexes (not rtguard's writer)"
	note "report db: $(sqlite3 -readonly "$rdb" 'SELECT count(*) FROM events') events, $(du -h "$rdb" | cut -f1)"
	"$RTGUARD" report --db "$rdb" >/dev/null 2>&1	# warm the page cache
	for fmt in text json; do
		t0=$(date +%s.%N)
		if [ $fmt = json ]; then "$RTGUARD" report --db "$rdb" --json >"$T/report.$fmt" 2>"$T/report.err"
		else "$RTGUARD" report --db "$rdb" >"$T/report.$fmt" 2>"$T/report.err"; fi
		rc=$?
		t1=$(date +%s.%N)
		row scale "report_${N_EVENTS}_events" "$fmt" "$(calc "$t1 - $t0")" s "" "rc $rc, $(wc -c <"$T/report.$fmt") bytes"
	done
	# rtguard's own insert path: monitor mode records every alert of an
	# unlearned binary; the rate at which events reach the database.
	run_ctr rtbench-ins-$$ "$BB" -- sleep 1d
	podman exec rtbench-ins-$$ cp /usr/local/bin/t00 /tmp/rtbench-unlearned </dev/null
	local before after
	before=$(sqlite3 -readonly "$DB" 'SELECT count(*) FROM events')
	enforce_start "$T/enforce-ins.log" --monitor
	t0=$(date +%s.%N)
	podman exec rtbench-ins-$$ sh -c 'i=0; while [ $i -lt 2000 ]; do /tmp/rtbench-unlearned; i=$((i+1)); done' </dev/null
	t1=$(date +%s.%N)
	stop_bg "$ENF_PID"
	after=$(sqlite3 -readonly "$DB" 'SELECT count(*) FROM events')
	note "store: monitor mode, 2000 execs of an unlearned binary: $((after - before)) events stored; $(grep -o 'stopped: .*' "$T/enforce-ins.log")"
	row scale store_events_recorded "monitor" "$(calc "($after - $before) / ($t1 - $t0)" 0)" events/s "" "$((after - before)) events of 2000 alerting execs, bounded by the exec rate"
	podman rm -f -t 0 rtbench-ins-$$ >/dev/null 2>&1
}

# ------------------------------------------------------------------- driver
say "rtguard $("$RTGUARD" version 2>/dev/null | head -1); sections: $SECTIONS; work dir $T"
start=$SECONDS
if want exec || want open; then phase_enforce; fi
want learn && phase_learn
want scale && phase_scale

# The table: ratio against the 'none' case of the same workload.
echo
echo "rtguard bench, $(date -u +%Y-%m-%dT%H:%MZ), $(uname -r), $(nproc) CPUs, ${SECONDS}s (start $start)"
awk -F'\t' '
	{ key[NR] = $2; cse[NR] = $3; val[NR] = $4; unit[NR] = $5; rat[NR] = $6; extra[NR] = $7; sec[NR] = $1
	  if ($3 == "none") base[$2] = $4 }
	END {
		printf "%-6s %-22s %-18s %12s %-8s %8s  %s\n", "SECT", "WORKLOAD", "CASE", "VALUE", "UNIT", "/NONE", "DETAIL"
		for (i = 1; i <= NR; i++) {
			r = rat[i] != "" ? rat[i] : (key[i] in base && base[key[i]] > 0 && unit[i] ~ /\/s$/) ? sprintf("%.3f", val[i] / base[key[i]]) : "-"
			printf "%-6s %-22s %-18s %12s %-8s %8s  %s\n", sec[i], key[i], cse[i], val[i], unit[i], r, extra[i]
		}
	}' "$RESULTS"
if [ -s "$NOTES" ]; then echo; echo "notes:"; sed 's/^/  /' "$NOTES"; fi
