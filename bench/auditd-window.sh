#!/usr/bin/env bash
# auditd-window.sh DIR SECONDS URL: the peer for learning. Run under
# `flock /run/rtguard-audit.lock` (only one process can hold the audit pid).
# Starts auditd (logging to DIR only), loads a rule comparable to the one
# rtguard learn starts with (every 64-bit syscall of every process but the
# receiver's), runs wrk against URL for SECONDS, then removes that rule (and
# only it) and stops auditd. Prints one line:
#   rps=N records=N lost=N seconds=N
set -uo pipefail
dir=${1:?DIR}
secs=${2:?SECONDS}
url=${3:?URL}
mkdir -p "$dir/log"
chmod 700 "$dir" "$dir/log"
cat >"$dir/auditd.conf" <<CONF
log_file = $dir/log/audit.log
log_format = RAW
log_group = root
flush = INCREMENTAL_ASYNC
freq = 50
max_log_file = 1024
num_logs = 2
max_log_file_action = ROTATE
space_left = 2
admin_space_left = 1
space_left_action = IGNORE
admin_space_left_action = IGNORE
disk_full_action = IGNORE
disk_error_action = IGNORE
local_events = yes
write_logs = yes
priority_boost = 4
CONF
chmod 600 "$dir/auditd.conf"
lost() { auditctl -s | awk '$1 == "lost" { print $2 }'; }
apid=
rule=()
finish() {
	[ ${#rule[@]} -gt 0 ] && auditctl -d "${rule[@]}" >/dev/null 2>&1
	if [ -n "$apid" ]; then
		kill -TERM "$apid" 2>/dev/null
		for _ in $(seq 100); do kill -0 "$apid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$apid" 2>/dev/null
	fi
}
trap finish EXIT
auditd -n -c "$dir" >"$dir/auditd.out" 2>&1 </dev/null &
apid=$!
for _ in $(seq 100); do
	[ "$(auditctl -s | awk '$1 == "pid" { print $2 }')" = "$apid" ] && break
	sleep 0.1
done
if [ "$(auditctl -s | awk '$1 == "pid" { print $2 }')" != "$apid" ]; then
	echo "auditd did not register as the audit receiver" >&2
	cat "$dir/auditd.out" >&2
	exit 1
fi
rule=(exit,always -F arch=b64 -S all -F "pid!=$apid" -k "rtbench-$$")
auditctl -a "${rule[@]}" >/dev/null || { rule=(); exit 1; }
l0=$(lost)
r0=$(cat "$dir"/log/audit.log* 2>/dev/null | wc -l)
t0=$(date +%s.%N)
rps=$(wrk -t2 -c16 -d"${secs}s" "$url" | awk '/^Requests\/sec:/ { print $2 }')
t1=$(date +%s.%N)
auditctl -d "${rule[@]}" >/dev/null 2>&1
rule=()
sleep 1	# let auditd write what the kernel queued
l1=$(lost)
r1=$(cat "$dir"/log/audit.log* 2>/dev/null | wc -l)
echo "rps=$rps records=$((r1 - r0)) lost=$((l1 - l0)) seconds=$(echo "$t1 - $t0" | bc)"
