#!/usr/bin/env bash
# report.sh: `rtguard report --json` and the text report on a database of
# BENCH_EVENTS (default 1,000,000) decision events, side by side. Needs no
# root, no containers: the database is made by `rtguard policy import` (so
# its schema is the binary's own) and filled with the sqlite3 CLI. Not part
# of `make check`; see bench/README.md.
#
#   RTGUARD        the binary (default: ../cli/rtguard next to this script)
#   BENCH_EVENTS   events in the database                  (default 1000000)
#   BENCH_REPS     timed runs of each report, fastest kept (default 3)
#   BENCH_DB       reuse (or create and keep) this database
#   BENCH_KEEP=1   keep the work directory (database, outputs)
#   BENCH_CHECK=1  also parse the JSON output with python3 (slow, GBs of RAM)
#
# Prints one line per report (seconds, bytes, MB/s) and the ratio of the
# JSON report to the text one.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
RTGUARD=${RTGUARD:-$here/../cli/rtguard}
N=${BENCH_EVENTS:-1000000}
REPS=${BENCH_REPS:-3}

die() { echo "bench/report.sh: $*" >&2; exit 1; }
say() { echo "bench/report.sh: $*" >&2; }
calc() { awk "BEGIN { printf \"%.${2:-3}f\", $1 }"; }

[ -x "$RTGUARD" ] || die "no rtguard binary at $RTGUARD (set RTGUARD=)"
command -v sqlite3 >/dev/null || die "sqlite3 is not installed (apt-get install sqlite3)"

T=$(mktemp -d /tmp/rtbench-report.XXXXXX)
[ "${BENCH_KEEP:-0}" = 1 ] || trap 'rm -rf "$T"' EXIT
DB=${BENCH_DB:-$T/report.db}
IMG=localhost/rtbench-busybox:bench

make_db() {
	local now cols vals
	cat >"$T/base.rtguard" <<EOF
{"format":"rtguard-baseline","version":1,"image":"$IMG","image_id":null,
 "exported":"2026-11-24T19:53:01.123Z",
 "executables":[{"path":"/bin/busybox","sha256":null,"count":1,
   "from_image":true,"first_seen_ms":1000,"last_seen_ms":2000}],
 "syscalls":["read","write"],
 "writes":[{"path":"/tmp/x","count":1,"first_seen_ms":1000,"last_seen_ms":1000}]}
EOF
	"$RTGUARD" policy --db "$DB" import "$T/base.rtguard" >/dev/null ||
	    die "rtguard policy import failed"
	now=$(date +%s%3N)
	# The columns every schema has, then those of schema 2 if present.
	cols="time_ms, image_ref, container_id, pid, ppid, exe, kind, path, action, reason"
	vals="$now - (x * 50), '$IMG', printf('%064x', x % 50), 1000 + x % 5000, 1,
	    '/bin/busybox', x % 2,
	    CASE WHEN x % 100 = 0 THEN '/tmp/evil' || char(10) || 'name' || cast(x'ff' AS TEXT) || (x % 7)
	         ELSE '/usr/local/bin/drift' || (x % 200) END,
	    (x / 3) % 2,
	    CASE x % 3 WHEN 0 THEN 'not learned' WHEN 1 THEN 'drift: not from the image'
	         ELSE 'protected directory' END"
	if sqlite3 "$DB" "SELECT comm FROM events LIMIT 0" >/dev/null 2>&1; then
		cols="$cols, comm, route, mode, count, first_ms"
		vals="$vals, 'sh', CASE x % 2 WHEN 0 THEN 'exec' ELSE 'open' END, 'protect',
		    1 + (x % 10 = 0) * 4, $now - (x * 50) - (x % 10 = 0) * 20"
	fi
	sqlite3 "$DB" "PRAGMA journal_mode=WAL;
BEGIN;
WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < $N)
INSERT INTO events ($cols) SELECT $vals FROM n;
COMMIT;" >/dev/null || die "inserting events with sqlite3 failed"
}

if [ -n "${BENCH_DB:-}" ] && [ -s "$DB" ]; then
	say "reusing $DB"
else
	t0=$(date +%s.%N)
	make_db
	t1=$(date +%s.%N)
	say "made $DB in $(calc "$t1 - $t0" 1) s"
fi
say "$(sqlite3 -readonly "$DB" 'SELECT count(*) FROM events') events, $(du -h "$DB" | cut -f1)"

# One timed run to /dev/null: prints the seconds.
run_once() {
	local t0 t1 rc
	t0=$(date +%s.%N)
	if [ "$1" = json ]; then
		"$RTGUARD" report --db "$DB" --json >/dev/null
	else
		"$RTGUARD" report --db "$DB" >/dev/null
	fi
	rc=$?
	t1=$(date +%s.%N)
	[ $rc -eq 0 ] || die "report ($1) failed with status $rc"
	calc "$t1 - $t0"
}

"$RTGUARD" report --db "$DB" >/dev/null	# warm the page cache
declare -A best
for fmt in text json; do
	best[$fmt]=
	runs=
	for _ in $(seq "$REPS"); do
		s=$(run_once $fmt) || exit 1
		runs="$runs $s"
		if [ -z "${best[$fmt]}" ] || [ "$(calc "$s < ${best[$fmt]}" 0)" = 1 ]; then
			best[$fmt]=$s
		fi
	done
	if [ $fmt = json ]; then
		bytes=$("$RTGUARD" report --db "$DB" --json | wc -c)
	else
		bytes=$("$RTGUARD" report --db "$DB" | wc -c)
	fi
	printf 'report %-5s %8s s  %11d bytes  %5s MB/s  (runs:%s)\n' "$fmt" \
	    "${best[$fmt]}" "$bytes" "$(calc "$bytes / 1000000 / ${best[$fmt]}" 0)" "$runs"
done
echo "ratio json/text: $(calc "${best[json]} / ${best[text]}" 2)"
if [ "${BENCH_CHECK:-0}" = 1 ]; then
	"$RTGUARD" report --db "$DB" --json >"$T/out.json"
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("report json: valid JSON, %d events" % len(d["events"]))' "$T/out.json" ||
	    die "report --json is not valid JSON"
fi
