#!/usr/bin/env bash
# The long-running daemon paths under valgrind (memcheck): learn and
# enforce on a real container, with execs allowed and denied and writes
# denied, must end with zero errors and no definite leaks. Needs a binary
# built without sanitizers (ASan and valgrind do not mix): run-tests.sh
# builds one and points RTGUARD_PLAIN at it; otherwise this test skips.
. "$(dirname "$0")/lib.sh"
rt_setup
command -v valgrind >/dev/null || rt_skip "valgrind is not installed"
bin=${RTGUARD_PLAIN:-$RTGUARD}
if ldd "$bin" 2>/dev/null | grep -q libasan; then
	rt_skip "$bin is built with AddressSanitizer; set RTGUARD_PLAIN to a plain build"
fi
rt_audit_lock
vg() { valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite \
	--suppressions="$top_srcdir/tests/integration/valgrind.supp" \
	--errors-for-leak-kinds=definite --log-file="$RT_TMP/vg-$1.log" "$bin" "${@:2}"; }

rt_learn_vg() {
	vg learn learn --image rtguard-busybox --duration 8 --no-progress >"$RT_TMP/learn.out" 2>&1
}
rt_bg "$RT_TMP/learn.status" bash -c "$(declare -f vg rt_learn_vg); RT_TMP=$RT_TMP bin=$bin rt_learn_vg; echo \$? > $RT_TMP/learn.rc"
# Started under valgrind, the learner takes a while to come up; the
# container must start after it (only processes started later are audited).
rt_wait_line 60 "$RT_BG_PID" "$RT_TMP/learn.out" "learner under valgrind readiness" \
	'no running container matches\|learning image'
rt_run app "$RT_BUSYBOX" sh -c 'while true; do ls / >/dev/null; echo x > /tmp/y; sleep 0.2; done'
app=$RT_ID
rt_wait_for 30 test -s "$RT_TMP/learn.rc" || rt_fail "learn under valgrind did not finish"
if [ "$(cat "$RT_TMP/learn.rc")" != 0 ]; then
	sed 's/^/  | /' "$RT_TMP/learn.out" "$RT_TMP/vg-learn.log" >&2
	rt_fail "learn under valgrind exited $(cat "$RT_TMP/learn.rc") (valgrind errors or definite leaks: vg-learn.log above)"
fi

rt_exec app sh -c 'cp /bin/busybox /tmp/bb'
rt_bg "$RT_TMP/enforce.out" bash -c "$(declare -f vg); RT_TMP=$RT_TMP bin=$bin vg enforce enforce --image rtguard-busybox --force --duration 12 -v; echo \$? > $RT_TMP/enforce.rc"
rt_wait_for 30 grep -qE "container ${app:0:12} .*: protected" "$RT_TMP/enforce.out" || { cat "$RT_TMP/enforce.out" >&2; rt_fail "enforce under valgrind did not protect the container"; }
rt_exec app ls / >/dev/null || rt_fail "a learned exec was denied under valgrind"
rt_exec app /tmp/bb true 2>/dev/null && rt_fail "drift was not denied under valgrind"
rt_exec app sh -c 'echo x > /etc/x' 2>/dev/null && rt_fail "protected write not denied under valgrind"
rt_wait_for 30 test -s "$RT_TMP/enforce.rc" || rt_fail "enforce under valgrind did not finish"
if [ "$(cat "$RT_TMP/enforce.rc")" != 0 ]; then
	sed 's/^/  | /' "$RT_TMP/enforce.out" "$RT_TMP/vg-enforce.log" >&2
	rt_fail "enforce under valgrind exited $(cat "$RT_TMP/enforce.rc") (valgrind errors or definite leaks: vg-enforce.log above)"
fi
rt_pass
