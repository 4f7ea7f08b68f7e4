#!/usr/bin/env bash
# What the BPF observer costs: loops of getppid (not watched), open+close
# (not watched by default), mmap(PROT_EXEC)+munmap and fork+exec
# /bin/true, on the host and inside a container, without the observer
# and with it attached (default set, the container's cgroup watched).
# observe-probe -b alternates the two conditions run by run in one
# process; the figures are min and median of each, and the median over
# rounds of observe/none within a round, for wall and CPU time.
#
#   bench/observe-cost.sh BUILDDIR [ROUNDS] [N] [EXEC_N]
#
# OBSERVE_PROBE_OPTS=-s measures the enter+exit method instead of the
# default (exit-only on x86_64 with BTF); OBSERVE_COST_RAW=DIR keeps
# every run's figures there.
#
# Takes the integration-test lock (tests/integration/lib.sh): a test or
# build running beside it is noise. Each attached half costs 2.5 s
# (exit-only) or 5 s (enter+exit) of detaching (see enforcer/observe.c):
# 10 rounds take 8 to 12 minutes.
set -uo pipefail
builddir=$(cd "${1:?usage: observe-cost.sh BUILDDIR [ROUNDS] [N] [EXEC_N]}" && pwd)
rounds=${2:-10} n=${3:-200000} exec_n=${4:-1000}
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
. "$top_srcdir/tests/integration/lib.sh"
probe=$builddir/tests/integration/observe-probe
[ -x "$probe" ] || rt_skip "no $probe (configure --enable-bpf)"
rt_setup
loop=$RT_TMP/observe-loop
${CC:-cc} -O2 -static -o "$loop" "$top_srcdir/bench/observe-loop.c" || rt_fail "cc failed"
rt_run ctr "$RT_NGINX" sleep 3600; ctr=$RT_ID
podman cp "$loop" "$ctr:/tmp/observe-loop" 9>&- || rt_fail "podman cp failed"
pid=$(podman inspect -f '{{.State.Pid}}' "$ctr")

printf '%-5s %-7s %-7s | %9s %9s %9s %9s %7s | %7s\n' where loop unit \
    none-min none-med obs-min obs-med wall cpu
for l in getppid open mmap exec; do
	for w in host ctr; do
		k=$([ $l = exec ] && echo "$exec_n" || echo "$n")
		if [ $w = host ]; then cmd=("$loop" $l "$k")
		else cmd=(podman exec "$(rt_cname ctr)" /tmp/observe-loop $l "$k"); fi
		# shellcheck disable=SC2086 # options for the probe
		"$probe" -b "$rounds" ${OBSERVE_PROBE_OPTS:-} -p "$pid" "${cmd[@]}" 2>/dev/null 9>&- >"$RT_TMP/$w-$l" ||
			rt_fail "$w $l: observe-probe -b failed"
		awk -v w=$w -v l=$l -v u=$([ $l = exec ] && echo us || echo ns) '
		function sort(a, n,   i, j, t) {
			for (i = 2; i <= n; i++)
				for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
		}
		function med(a, n) { sort(a, n); return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2 }
		{ r = int((NR + 1) / 2) }
		$1 == "none" { nw[r] = $2; nc[r] = $3; a[++na] = $2 }
		$1 == "observe" { ow[r] = $2; oc[r] = $3; b[++nb] = $2 }
		END {
			for (i = 1; i <= r; i++) if ((i in nw) && (i in ow)) {
				qw[++nq] = ow[i] / nw[i]; qc[nq] = oc[i] / nc[i]
			}
			am = med(a, na); bm = med(b, nb)
			printf "%-5s %-7s %-7s | %9.1f %9.1f %9.1f %9.1f %7.3f | %7.3f\n",
			    w, l, u, a[1], am, b[1], bm, med(qw, nq), med(qc, nq)
		}' "$RT_TMP/$w-$l"
		[ -z "${OBSERVE_COST_RAW:-}" ] || { mkdir -p "$OBSERVE_COST_RAW"; cp "$RT_TMP/$w-$l" "$OBSERVE_COST_RAW/"; }
	done
done
