#!/usr/bin/env bash
# run.sh: rtguard's benchmarks, side by side with no rtguard and with the
# peers (fapolicyd for enforcement, auditd for learning), in one run.
# Root only; not part of `make check`. See bench/README.md.
#
#   BENCH_SECTIONS  any of: exec open storm report learn scale
#                   (default: exec open storm report)
#   BENCH_CASES     cases of exec, open and storm (default: none enforce
#                   monitor fapolicyd none2; none2 is a second run without
#                   any tool, so its ratio to none is the noise)
#   RTGUARD         the binary (default: ../build/plain/cli/rtguard, made by
#                   scripts/build.sh)
#   BENCH_EXECS     execs per measured exec run          (default 5000)
#   BENCH_OPENS     opens per measured open run          (default 200000)
#   BENCH_REPS      interleaved repetitions of exec/open (default 7)
#   BENCH_LAT_N     timed execs of the storm's neighbour (default 1000)
#   BENCH_STORM_REPS interleaved repetitions of storm    (default 3)
#   BENCH_STORM_CPUS podman --cpus of the storm container (default: none)
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
SECTIONS=${BENCH_SECTIONS:-exec open storm report}
N_EXEC=${BENCH_EXECS:-5000}
N_OPEN=${BENCH_OPENS:-200000}
REPS=${BENCH_REPS:-7}
N_LAT=${BENCH_LAT_N:-1000}
STORM_REPS=${BENCH_STORM_REPS:-3}
STORM_CPUS=${BENCH_STORM_CPUS:-}
WRK_S=${BENCH_WRK_S:-10}
SCALE_N=${BENCH_SCALE_N:-50}
N_EVENTS=${BENCH_EVENTS:-1000000}
LOCK=/run/rtguard-audit.lock
BB=localhost/rtbench-busybox:bench
# Debian 12 (nginx-light, dynamically linked coreutils, dash, bash, perl):
# what users run, so what the exec, open and storm sections measure.
DEB=localhost/rtbench-nginx:bench
NGINX=$DEB
PORT=18080

die() { echo "bench: $*" >&2; exit 1; }
calc() { awk "BEGIN { printf \"%.${2:-3}f\", $1 }"; }	# calc EXPR [DECIMALS]
# cpu_s PID: user+system seconds of the process and its reaped children
# (the enforcer's mount helpers), from /proc/PID/stat.
cpu_s() { awk -v t="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13 + $14 + $15) / t }' "/proc/$1/stat"; }
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
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
# pct P: the P-th percentile (nearest rank) of numbers on stdin.
pct() { sort -n | awk -v p="$1" '{ a[NR] = $1 } END { k = int(NR * p / 100 + 0.999999); if (k < 1) k = 1; print a[k] }'; }

# ---- loops inside a container, timed inside it ----
# loop_rate CTR N OPS_PER_ITER BODY: operations per second of a dash loop,
# timed by `date +%s%N` in the container (timing inside leaves podman exec
# out; the two date runs are outside the loop).
loop_rate() {
	local c=$1 n=$2 k=$3 body=$4 out
	out=$(podman exec "$c" sh -c "a=\$(date +%s%N); i=0; while [ \$i -lt $n ]; do $body; i=\$((i+1)); done; b=\$(date +%s%N); echo \$a \$b" </dev/null) || return 1
	awk -v o="$out" -v n="$n" -v k="$k" 'BEGIN { split(o, t, " "); d = (t[2] - t[1]) / 1e9; if (d <= 0) d = 1e-9; printf "%.0f\n", n * k / d }'
}
# exec_lat CTR N: N execs of /usr/bin/true by bash, each timed by
# $EPOCHREALTIME around it (microseconds, one per line, kept in an array
# so that no output is mixed in).
exec_lat() {
	podman exec "$1" bash -c "a=(); for ((i = 0; i < $2; i++)); do t=\$EPOCHREALTIME; /usr/bin/true; u=\$EPOCHREALTIME; a+=(\$((\${u/./} - \${t/./}))); done; printf '%s\n' \"\${a[@]}\"" </dev/null
}

# Workloads: NAME N OPS BODY. Execs exec a binary, opens only open (a shell
# redirection of the builtin ':', so no exec is mixed in).
WL_NAMES=()
declare -A WL_N WL_K WL_BODY WL_SEC
wl() { WL_NAMES+=("$2"); WL_SEC[$2]=$1; WL_N[$2]=$3; WL_K[$2]=$4; WL_BODY[$2]=$5; }
want exec && wl exec exec_true_dyn "$N_EXEC" 1 '/usr/bin/true'
want open && {
	# Files of the image, on the overlay (Podman bind-mounts /etc/hostname,
	# /etc/hosts and /etc/resolv.conf from the host, off the overlay).
	wl open open_ro_etc "$N_OPEN" 1 ': </etc/debian_version'
	wl open open_ro_usr_lib "$N_OPEN" 1 ': </usr/lib/x86_64-linux-gnu/libc.so.6'
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
# ops_once: the operations measure_once runs (warm-ups included).
ops_once() {
	local w s=0
	for w in "${WL_NAMES[@]}"; do
		s=$((s + (WL_N[$w] + (WL_N[$w] + 9) / 10) * WL_K[$w]))
	done
	echo $s
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
			    "$(echo "$ratios" | median)" "ratios: $(echo $ratios | tr '\n' ' ')"
		done
	done
}

# learn_start IMAGE SECONDS LOG: rtguard learn in the background under the
# audit lock; returns once it has attached to a container of IMAGE.
learn_start() {
	bg "$3" flock "$LOCK" "$RTGUARD" learn --image "$1" --duration "$2" --no-progress -v
	LEARN_PID=$BG
	wait_for 300 grep -q 'attached to container' "$3" || die "rtguard learn did not attach: $(cat "$3")"
}
learn_wait() { wait "$LEARN_PID"; grep -q 'learned ' "$1" || die "rtguard learn failed: $(tail -3 "$1")"; }

# deb_prepare CTR: the files the loops use, made before rtguard sees the
# container: a file to read in /tmp, and /tmp/rtbench-denied, a copy of
# /usr/bin/true dropped where the container can write (never learned).
deb_prepare() {
	podman exec "$1" sh -c 'echo r >/tmp/rtbench-r; cp /usr/bin/true /tmp/rtbench-denied' </dev/null
}

# deb_learn CTR: learn the Debian image once, while the same loops run in
# CTR (short: not "ready", so enforce runs with --force): the dash loops,
# bash's timed exec loop, the storm's perl loop (on /usr/bin/true, not on
# the dropped binary, which must stay unlearned).
DEB_LEARNED=0
deb_learn() {
	local c=$1 w
	[ "$DEB_LEARNED" = 1 ] && return
	say "learning $DEB (the same loops, short)"
	learn_start "$DEB" 15 "$T/learn-deb.log"
	for w in exec_true_dyn open_ro_etc open_ro_usr_lib open_wr_tmp; do
		loop_rate "$c" 3 1 "$(wl_body "$w")" >/dev/null
	done
	exec_lat "$c" 3 >/dev/null
	podman exec "$c" sh -c 'while [ ! -e /tmp/rtbench-stop ]; do /usr/bin/true; break; done' </dev/null
	podman exec "$c" perl -e 'for (1..3) { last if -e "/tmp/rtbench-stop"; system("/usr/bin/true") }' </dev/null
	podman exec "$c" sh -c ': >/tmp/rtbench-stop; rm -f /tmp/rtbench-stop' </dev/null
	learn_wait "$T/learn-deb.log"
	note "learn ($DEB): $(grep -o 'learned [0-9]* new .*' "$T/learn-deb.log")"
	DEB_LEARNED=1
}
# The loop bodies, also when their section is not run.
wl_body() {
	case $1 in
	exec_true_dyn) echo '/usr/bin/true' ;;
	open_ro_etc) echo ': </etc/debian_version' ;;
	open_ro_usr_lib) echo ': </usr/lib/x86_64-linux-gnu/libc.so.6' ;;
	open_wr_tmp) echo ': >/tmp/rtbench-w' ;;
	esac
}

# enforce_start LOG NCTRS [ARGS...]: rtguard enforce on $ENF_IMAGE
# (--force: the bench's short learns are not "ready"); returns once it
# has attached NCTRS containers.
ENF_IMAGE=$DEB
enforce_start() {
	local log=$1 n=$2
	shift 2
	bg "$log" "$RTGUARD" enforce --image "$ENF_IMAGE" --policy-dir "$T/policies" \
	    --alerts "$T/alerts" --duration 3600 --force "$@"
	ENF_PID=$BG
	wait_for 120 grep -qE "enforcing [0-9]+ image.*, $n running container" "$log" ||
		die "rtguard enforce did not start on $n containers: $(cat "$log")"
}

# check_protected CASE CTR...: before measuring, prove the tool guards
# each container: the dropped /tmp/rtbench-denied must be refused
# (enforce, fapolicyd) or alerted (monitor), and under enforce a write
# into /etc refused too. A bench of an unprotected container is worthless.
check_protected() {
	local cse=$1 c id rc n0
	shift
	for c in "$@"; do
		id=$(podman inspect -f '{{.Id}}' "$c" | cut -c1-12)
		case $cse in
		enforce)
			wait_for 20 grep -qE "container $id .*: protected" "$ENF_LOG" ||
				die "enforce: $c is not reported protected: $(cat "$ENF_LOG")"
			podman exec "$c" /tmp/rtbench-denied </dev/null >/dev/null 2>&1
			rc=$?
			[ $rc -ne 0 ] || die "enforce: /tmp/rtbench-denied ran in $c (rc 0): not protected"
			podman exec "$c" sh -c ': >/etc/rtbench-x' </dev/null >/dev/null 2>&1 &&
				die "enforce: a write into /etc worked in $c: not protected"
			[ "$CHECK_NOTED" = 1 ] || note "enforce: $c protected: /tmp/rtbench-denied refused (podman exec rc $rc), a write into /etc refused"
			;;
		monitor)
			wait_for 20 grep -qE "container $id .*: monitored" "$ENF_LOG" ||
				die "monitor: $c is not reported monitored: $(cat "$ENF_LOG")"
			n0=$(alerts_of "$id"); n0=${n0:-0}
			podman exec "$c" /tmp/rtbench-denied </dev/null >/dev/null 2>&1
			wait_for 10 sh -c "[ \$(grep -c '\"container\":\"${id}[0-9a-f]*\".*rtbench-denied.*alerted' '$T/alerts') -gt $n0 ]" ||
				die "monitor: no alert for /tmp/rtbench-denied in $c"
			;;
		esac
	done
	[ "$cse" = enforce ] && CHECK_NOTED=1
	return 0
}
CHECK_NOTED=0
alerts_of() { grep -c "\"container\":\"$1[0-9a-f]*\".*rtbench-denied.*alerted" "$T/alerts" 2>/dev/null; }

# ---------------------------------------------------------------- exec/open
CASES=${BENCH_CASES:-none enforce monitor fapolicyd none2}
FA_OK=1

# rotated REP: the cases in an order that moves by one each repetition,
# so that no case always runs first or right after a tool's stop.
rotated() {
	local a i n
	read -ra a <<<"$CASES"
	n=${#a[@]}
	for ((i = 0; i < n; i++)); do echo "${a[(i + $1) % n]}"; done
}

# case_start CASE REP NCTRS CTR... / case_stop CASE REP: bring a case's
# tool up (and prove it guards the containers) or down. ENF_LOG, TOOL_PID.
case_start() {
	local cse=$1 rep=$2 n=$3
	shift 3
	TOOL_PID=
	case $cse in
	none | none2) ;;
	enforce | monitor)
		ENF_LOG=$T/$cse-$PHASE-$rep.log
		if [ "$cse" = monitor ]; then enforce_start "$ENF_LOG" "$n" --monitor
		else enforce_start "$ENF_LOG" "$n"; fi
		TOOL_PID=$ENF_PID
		check_protected "$cse" "$@" ;;
	fapolicyd) fapolicyd_start "$@" || return 1
		TOOL_PID=$(cat "$T/fapolicyd/fapolicyd.pid") ;;
	esac
}
case_stop() {
	case $1 in
	enforce | monitor)
		stop_bg "$ENF_PID"
		STOPPED=$(grep -o 'stopped: .*' "$ENF_LOG")
		note "$PHASE $1 rep $2: $STOPPED"
		grep -q 'refusals were not recorded' "$ENF_LOG" &&
			note "$PHASE $1 rep $2: $(grep -o '[0-9]* of the kernel.s refusals were not recorded.*' "$ENF_LOG")" ;;
	fapolicyd)
		"$here/fapolicyd.sh" stop "$T/fapolicyd"
		fapolicyd_on=0
		STOPPED= ;;
	esac
}
# stopped_n FIELD: a number from the enforcer's stop line
# ("stopped: N decisions, N denied, N alerted, ...").
stopped_n() { echo "$STOPPED" | sed -n "s/.* \([0-9][0-9]*\) $1.*/\1/p;s/^stopped: \([0-9][0-9]*\) $1.*/\1/p" | head -1; }

# CPU rows: CPU seconds of the tool per 10k of its decisions (fanotify
# answers plus the kernel's refusals it recorded) and per 10k operations.
CPU_RAW=$T/cpu
: >"$CPU_RAW"
cpu_record() {	# cpu_record WORKLOAD CASE REP CPU_S OPS
	local dec=- den=-
	if [ -n "$STOPPED" ]; then dec=$(stopped_n decisions); den=$(stopped_n denied); fi
	echo "$1 $2 $3 $4 $5 $dec $den" >>"$CPU_RAW"
}
cpu_summarize() {	# cpu_summarize SECTION WORKLOAD WHAT
	local cse lines ops dec per
	for cse in $CASES; do
		lines=$(awk -v w="$2" -v c="$cse" '$1 == w && $2 == c' "$CPU_RAW")
		[ -n "$lines" ] || continue
		ops=$(echo "$lines" | awk '{ s += $5 } END { print s }')
		dec=$(echo "$lines" | awk '$6 != "-" { s += $6 + $7; n++ } END { print n ? s : "-" }')
		per=$(echo "$lines" | awk '{ c += $4 } END { print c }')
		if [ "$dec" != - ] && [ "$dec" -gt 0 ]; then
			row "$1" "$2" "$cse" "$(calc "$per * 10000 / $dec")" s/10kdec "-" \
			    "cpu ${per}s over $(echo "$lines" | wc -l) runs, $dec decisions+refusals, $(calc "$per * 10000 / $ops" 4) s per 10k $3"
		else
			row "$1" "$2" "$cse" "$(calc "$per * 10000 / $ops" 4)" "s/10k op" "-" \
			    "cpu ${per}s over $(echo "$lines" | wc -l) runs, no decision count: per 10k $3"
		fi
	done
}

PHASE=execopen
phase_enforce() {
	local c=rtbench-deb-$$ rep cse cpu0 cpu1
	PHASE=execopen
	run_ctr "$c" "$DEB" -- sleep 1d || die "podman run $DEB failed"
	deb_prepare "$c"
	fapolicyd_check "$c"
	deb_learn "$c"

	for ((rep = 1; rep <= REPS; rep++)); do
		for cse in $(rotated "$rep"); do
			[ "$cse" = fapolicyd ] && [ "$FA_OK" = 0 ] && continue
			case_start "$cse" "$rep" 1 "$c" || continue
			[ -n "$TOOL_PID" ] && cpu0=$(cpu_s "$TOOL_PID")
			measure_once "$cse" "$rep" "$c"
			[ -n "$TOOL_PID" ] && cpu1=$(cpu_s "$TOOL_PID")
			case_stop "$cse" "$rep"
			[ -n "$TOOL_PID" ] && cpu_record ordinary "$cse" "$rep" "$(calc "$cpu1 - $cpu0" 2)" "$(ops_once)"
		done
	done
	summarize
	cpu_summarize cpu ordinary_load "ops (execs+opens)"
	podman rm -f -t 0 "$c" >/dev/null 2>&1
}

# -------------------------------------------------------------------- storm
# A neighbour container's exec latency (bash, /usr/bin/true, each exec
# timed) quiet, then while another container of the same image runs a
# denied-exec storm: a dash loop and a perl loop exec'ing the dropped
# /tmp/rtbench-denied as fast as they can. Both containers are guarded by
# the case's tool. Without a tool the dropped file just runs.
storm_start() {	# storm_start CTR: sets STORM_PIDS
	local c=$1
	podman exec "$c" rm -f /tmp/rtbench-stop </dev/null
	bg "$T/storm-sh.out" podman exec "$c" sh -c 'n=0; while [ ! -e /tmp/rtbench-stop ]; do /tmp/rtbench-denied 2>/dev/null; n=$((n+1)); done; echo $n'
	STORM_PIDS=$BG
	bg "$T/storm-perl.out" podman exec "$c" perl -e 'my $n = 0; until (-e "/tmp/rtbench-stop") { system("/tmp/rtbench-denied"); $n++ } print "$n\n"'
	STORM_PIDS="$STORM_PIDS $BG"
}
storm_stop() {	# storm_stop CTR: sets STORM_N, the storm's exec attempts
	local p
	podman exec "$1" sh -c ': >/tmp/rtbench-stop' </dev/null
	for p in $STORM_PIDS; do wait "$p" 2>/dev/null; done
	STORM_N=$(( $(tail -1 "$T/storm-sh.out" | tr -cd 0-9) + $(tail -1 "$T/storm-perl.out" | tr -cd 0-9) ))
}

LAT=$T/lat
: >"$LAT"
phase_storm() {
	local nb=rtbench-nb-$$ st=rtbench-st-$$ rep cse cpu0 cpu1 t0 t1 l
	PHASE=storm
	run_ctr "$nb" "$DEB" -- sleep 1d || die "podman run $DEB failed"
	run_ctr "$st" "$DEB" ${STORM_CPUS:+--cpus "$STORM_CPUS"} -- sleep 1d || die "podman run $DEB failed"
	deb_prepare "$nb"
	deb_prepare "$st"
	[ -n "${FA_TRUST+set}" ] || fapolicyd_check "$nb"
	deb_learn "$nb"
	for ((rep = 1; rep <= STORM_REPS; rep++)); do
		for cse in $(rotated "$rep"); do
			[ "$cse" = fapolicyd ] && [ "$FA_OK" = 0 ] && continue
			[ "$cse" = none2 ] && continue
			case_start "$cse" "$rep" 2 "$nb" "$st" || continue
			# No tool: the same storm, refused by the kernel through the
			# file's mode (EACCES, as a noexec mount), so the loops do
			# the same work and only the tool's share differs.
			[ "$cse" = none ] && podman exec "$st" chmod 644 /tmp/rtbench-denied </dev/null
			exec_lat "$nb" $((N_LAT / 5)) >/dev/null
			exec_lat "$nb" "$N_LAT" >"$T/lat-$cse-$rep-quiet"
			[ -n "$TOOL_PID" ] && cpu0=$(cpu_s "$TOOL_PID")
			t0=$(date +%s.%N)
			storm_start "$st"
			sleep 1
			exec_lat "$nb" "$N_LAT" >"$T/lat-$cse-$rep-storm"
			storm_stop "$st"
			t1=$(date +%s.%N)
			[ -n "$TOOL_PID" ] && cpu1=$(cpu_s "$TOOL_PID")
			[ "$cse" = none ] && podman exec "$st" chmod 755 /tmp/rtbench-denied </dev/null
			case_stop "$cse" "$rep"
			[ -n "$TOOL_PID" ] && cpu_record storm "$cse" "$rep" "$(calc "$cpu1 - $cpu0" 2)" "$STORM_N"
			for l in quiet storm; do
				echo "$cse $rep $l $(awk '{ print $1 / 1000 }' "$T/lat-$cse-$rep-$l" | pct 50) $(awk '{ print $1 / 1000 }' "$T/lat-$cse-$rep-$l" | pct 90)" >>"$LAT"
			done
			echo "$cse $rep rate $(calc "$STORM_N / ($t1 - $t0)" 0)" >>"$LAT"
			say "storm rep $rep $cse: $(grep "^$cse $rep " "$LAT" | tr '\n' ' ')"
		done
	done
	storm_summarize
	cpu_summarize cpu storm "storm execs"
	podman rm -f -t 0 "$nb" "$st" >/dev/null 2>&1
}
# storm_summarize: per case, the median over repetitions of the
# neighbour's per-exec median and p90 (ms), quiet and in the storm; the
# quiet rows' ratio is to none quiet, the storm rows' to the same case
# quiet (median of the per-repetition ratios).
storm_summarize() {
	local cse l f col
	for f in p50 p90; do
		col=$([ $f = p50 ] && echo 4 || echo 5)
		for cse in $CASES; do
			for l in quiet storm; do
				vals=$(awk -v c="$cse" -v l="$l" -v k=$col '$1 == c && $3 == l { print $k }' "$LAT")
				[ -n "$vals" ] || continue
				ratios=$(awk -v c="$cse" -v l="$l" -v k=$col '
					$1 == (l == "quiet" ? "none" : c) && $3 == "quiet" { b[$2] = $k }
					$1 == c && $3 == l { v[$2] = $k }
					END { for (r in v) if (b[r] > 0) printf "%.3f\n", v[r] / b[r] }' "$LAT")
				row storm "neighbour_exec_$f" "$cse($l)" "$(echo "$vals" | median)" ms \
				    "$(echo "$ratios" | median)" \
				    "$([ $l = quiet ] && echo "/ none(quiet)" || echo "/ $cse(quiet)"); ratios: $(echo $ratios | tr '\n' ' ')"
			done
		done
	done
	for cse in $CASES; do
		vals=$(awk -v c="$cse" '$1 == c && $3 == "rate" { print $4 }' "$LAT")
		[ -n "$vals" ] || continue
		row storm storm_execs "$cse" "$(echo "$vals" | median)" execs/s "-" \
		    "$([ "$cse" = none ] && echo "refused by its mode (chmod 644)" || echo "attempts of 2 loops"); runs: $(echo $vals)"
	done
}

# fapolicyd_check CTR: whether the peer can run here; says why not.
fapolicyd_check() {
	local merged f
	case " $CASES " in *" fapolicyd "*) ;; *) FA_OK=0; return ;; esac
	if ! command -v fapolicyd >/dev/null; then
		note "fapolicyd: not installed (apt-get install -y fapolicyd); peer skipped"
		FA_OK=0
		return
	fi
	merged=$(podman inspect -f '{{.GraphDriver.Data.MergedDir}}' "$1")
	# The trust list: every executable file of the image under /usr (/bin
	# is /usr/bin on Debian 12), as seen in the container.
	FA_TRUST=()
	while IFS= read -r f; do
		FA_TRUST+=("${f#"$merged"} $(stat -c %s "$f") $(sha256sum <"$f" | cut -d' ' -f1)")
	done < <(find "$merged/usr" -type f -perm /111)
}

# fapolicyd_start CTR...: start the peer; ready once the bench's one denied
# path is denied in each container (which proves it sees them).
fapolicyd_start() {
	local c rc
	fapolicyd_on=1
	"$here/fapolicyd.sh" start "$T/fapolicyd" "${FA_TRUST[@]}"
	for c in "$@"; do
		if ! wait_for 30 sh -c "! podman exec $c /tmp/rtbench-denied </dev/null"; then
			note "fapolicyd: FAILED, it never denied /tmp/rtbench-denied in $c: $(tail -5 "$T/fapolicyd/fapolicyd.log" | tr '\n' ' ')"
			"$here/fapolicyd.sh" stop "$T/fapolicyd"
			fapolicyd_on=0
			FA_OK=0
			return 1
		fi
	done
	podman exec "$1" /tmp/rtbench-denied </dev/null >/dev/null 2>&1
	rc=$?
	[ "$FA_NOTED" = 1 ] || note "fapolicyd: denies /tmp/rtbench-denied in the containers (podman exec rc $rc), trusts the ${#FA_TRUST[@]} executable files of the image by path, size and SHA-256"
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
	ENF_IMAGE=$BB
	enforce_start "$T/enforce-scale.log" "$SCALE_N"
	ENF_IMAGE=$DEB
	t1=$(date +%s.%N)
	note "scale: $(grep -o 'enforcing [0-9]* image.*' "$T/enforce-scale.log")"
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
}

phase_report() {
	local rdb=$T/report.db t0 t1 now c=rtbench-ins-$$
	run_ctr "$c" "$DEB" -- sleep 1d || die "podman run $DEB failed"
	deb_prepare "$c"
	deb_learn "$c"	# the schema, and a baseline for the insert path below
	cp "$DB" "$rdb"
	now=$(date +%s%3N)
	t0=$(date +%s.%N)
	sqlite3 "$rdb" "PRAGMA journal_mode=WAL;
BEGIN;
WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < $N_EVENTS)
INSERT INTO events (time_ms, image_ref, container_id, pid, ppid, exe, kind, path, action, reason)
SELECT $now - (x * 50), '$DEB', printf('%064x', x % 50), 1000 + x % 5000, 1,
    '/usr/bin/dash', x % 2, '/usr/local/bin/drift' || (x % 200), (x / 3) % 2,
    CASE x % 3 WHEN 0 THEN 'not learned' WHEN 1 THEN 'drift: not from the image' ELSE 'protected directory' END
FROM n;
COMMIT;" >/dev/null || { note "report: inserting events with sqlite3 failed"; return; }
	t1=$(date +%s.%N)
	row report sqlite3_insert_1M "events" "$(calc "$N_EVENTS / ($t1 - $t0)" 0)" rows/s "" "sqlite3 CLI, one transaction, 3 indexes (not rtguard's writer)"
	note "report db: $(sqlite3 -readonly "$rdb" 'SELECT count(*) FROM events') events, $(du -h "$rdb" | cut -f1)"
	"$RTGUARD" report --db "$rdb" >/dev/null 2>&1	# warm the page cache
	# Each format 3 times, the fastest kept (as report.sh does), into a
	# pipe to wc: 340 MB of JSON written to a file measured the disk too.
	local fmt i ts bytes args
	for fmt in text json; do
		ts=
		args=()
		[ $fmt = json ] && args=(--json)
		for i in 1 2 3; do
			t0=$(date +%s.%N)
			bytes=$({ "$RTGUARD" report --db "$rdb" "${args[@]}" 2>"$T/report.err"; echo $? >"$T/report.rc"; } | wc -c)
			rc=$(cat "$T/report.rc")
			t1=$(date +%s.%N)
			ts="$ts $(calc "$t1 - $t0")"
		done
		row report "report_${N_EVENTS}_events" "$fmt" "$(echo $ts | tr ' ' '\n' | sort -n | head -1)" s "" "fastest of 3 (runs:$ts), rc $rc, $bytes bytes"
	done
	# rtguard's own insert path: monitor mode records every alert of an
	# unlearned binary; the rate at which events reach the database.
	# (/tmp/rtbench-denied: dropped, never learned, so each exec alerts.)
	local before after
	before=$(sqlite3 -readonly "$DB" 'SELECT count(*) FROM events')
	enforce_start "$T/enforce-ins.log" 1 --monitor
	t0=$(date +%s.%N)
	podman exec "$c" sh -c 'i=0; while [ $i -lt 2000 ]; do /tmp/rtbench-denied; i=$((i+1)); done' </dev/null
	t1=$(date +%s.%N)
	stop_bg "$ENF_PID"
	after=$(sqlite3 -readonly "$DB" 'SELECT count(*) FROM events')
	note "store: monitor mode, 2000 execs of an unlearned binary: $((after - before)) events stored; $(grep -o 'stopped: .*' "$T/enforce-ins.log")"
	row report store_records "monitor" "$((after - before))" records "" "2000 alerting execs in $(calc "$t1 - $t0" 1)s; identical decisions within 5 s are one record with a count"
	podman rm -f -t 0 "$c" >/dev/null 2>&1
}

# ------------------------------------------------------------------- driver
say "rtguard $("$RTGUARD" version 2>/dev/null | head -1); sections: $SECTIONS; work dir $T"
start=$SECONDS
if want exec || want open; then phase_enforce; fi
want storm && phase_storm
want report && phase_report
want learn && phase_learn
want scale && phase_scale

# The table: ratio against the 'none' case of the same workload.
echo
echo "rtguard bench, $(date -u +%Y-%m-%dT%H:%MZ), $(uname -r), $(nproc) CPUs, ${SECONDS}s (start $start)"
awk -F'\t' '
	{ key[NR] = $2; cse[NR] = $3; val[NR] = $4; unit[NR] = $5; rat[NR] = $6; extra[NR] = $7; sec[NR] = $1
	  if ($3 == "none") base[$2] = $4 }
	END {
		printf "%-6s %-22s %-18s %12s %-9s %8s  %s\n", "SECT", "WORKLOAD", "CASE", "VALUE", "UNIT", "/NONE", "DETAIL"
		for (i = 1; i <= NR; i++) {
			r = rat[i] != "" ? rat[i] : (key[i] in base && base[key[i]] > 0 && unit[i] ~ /\/s$/) ? sprintf("%.3f", val[i] / base[key[i]]) : "-"
			printf "%-6s %-22s %-18s %12s %-9s %8s  %s\n", sec[i], key[i], cse[i], val[i], unit[i], r, extra[i]
		}
	}' "$RESULTS"
if [ -s "$NOTES" ]; then echo; echo "notes:"; sed 's/^/  /' "$NOTES"; fi
