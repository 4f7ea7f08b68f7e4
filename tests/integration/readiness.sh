#!/usr/bin/env bash
# The readiness verdict of a baseline, for each cause, in `report --json`
# and the text report: records lost (simulated: a starved audit backlog)
# marks it incomplete, and the loss travels with the exported baseline;
# no container watched from its start; new facts still appearing within
# the quiet period; and ready when none of these holds. `report` during a
# learn shows the learning window; `learn --until-stable` stops by itself
# once nothing new comes; a redirected learn prints status lines. enforce
# monitors the containers of a baseline that is not ready, with an alert
# line saying why, and protects them with --force.
. "$(dirname "$0")/lib.sh"
rt_setup
rt_audit_lock
rt_hooks_setup

readiness() { "$RTGUARD" report --json | jq -c --arg img "$1" '.images[] | select(.image == $img) | .readiness'; }
reasons_have() {
	readiness "$1" | jq -e --arg re "$2" '.ready == false and any(.reasons[]; test($re))' >/dev/null ||
		{ readiness "$1" >&2; rt_fail "$1: no reason matching '$2'"; }
}

# --- ready: watched from its start, then quiet --------------------------------
rt_private_image "$RT_BUSYBOX"; quiet=$RT_IMAGE
rt_learn_bg 8 "$quiet" --quiet-period 2s
rt_run q "$quiet" sh -c 'echo hi >/tmp/x; cat /tmp/x; exec sleep 300'; qid=$RT_ID
rt_learn_wait_attached "$qid"
# During the learn, the report shows its window (not "never").
rt_wait_for 5 sh -c "'$RTGUARD' report --image '$quiet' | grep -q 'learned  *[0-9]'" ||
	{ "$RTGUARD" report --image "$quiet" >&2; rt_fail "report during a learn does not show the window"; }
rt_wait_exit "$RT_LEARN_PID" 30 || { cat "$RT_TMP/learn.out" >&2; rt_fail "learn failed"; }
rt_assert_contains "$RT_TMP/learn.out" "learning $quiet: " "a status line when not on a terminal"
readiness "$quiet" | jq -e '.ready == true and .containers_from_start == 1 and .audit_lost == 0 and (.reasons | length == 0)' >/dev/null ||
	{ readiness "$quiet" >&2; cat "$RT_TMP/learn.out" >&2; rt_fail "a quiet baseline watched from its start is not ready"; }
"$RTGUARD" report --image "$quiet" >"$RT_TMP/ready.txt"
rt_assert_contains "$RT_TMP/ready.txt" "readiness   ready to enforce"
rt_assert_contains "$RT_TMP/learn.out" "baseline ready to enforce" "learn's closing verdict"

# --- still changing: the quiet period is longer than the window ----------------
reasons_have_changing() { "$RTGUARD" report --json --quiet-period 1h | jq -e --arg img "$quiet" \
	'.images[] | select(.image == $img) | .readiness | .ready == false and any(.reasons[]; test("still changing"))' >/dev/null; }
reasons_have_changing || rt_fail "a quiet period longer than the learning window is not 'still changing'"

# --- no container watched from its start ------------------------------------------
rt_private_image "$RT_BUSYBOX"; late=$RT_IMAGE
rt_run l "$late" sh -c 'while true; do echo hi >/tmp/x; sleep 0.2; done'; lid=$RT_ID
rt_learn_bg 4 "$late" --quiet-period 1s
rt_learn_wait_attached "$lid"
rt_wait_exit "$RT_LEARN_PID" 20 || { cat "$RT_TMP/learn.out" >&2; rt_fail "learn failed"; }
reasons_have "$late" "no container was watched from its start"
readiness "$late" | jq -e '.containers_attached_late == 1 and .containers_from_start == 0' >/dev/null ||
	rt_fail "the late container is not counted as attached late"

# --- enforce: a baseline not ready is monitored, not protected, unless --force ---
rt_enforce_bg notready --image "$late" --duration 60
rt_assert_contains "$RT_TMP/enforce-notready.out" "baseline for $late is not ready to enforce: no container was watched from its start"
rt_wait_protected notready "$lid"
grep -q "container ${lid:0:12} .*: monitored, not protected: its baseline is not ready to enforce" "$RT_TMP/enforce-notready.out" ||
	{ cat "$RT_TMP/enforce-notready.out" >&2; rt_fail "a not-ready baseline was not refused protection"; }
rt_alerted notready ".type == \"attach\" and .container == \"$lid\" and (.reason | test(\"not ready\"))" ||
	{ cat "$RT_TMP/alerts-notready.jsonl" >&2; rt_fail "no alert line for the refused protection"; }
rt_exec l sh -c 'echo x > /etc/x' || rt_fail "a monitored container's write was refused"
rt_enforce_stop notready
rt_enforce_bg forced --image "$late" --duration 60 --force
rt_wait_protected forced "$lid"
grep -q "container ${lid:0:12} .*: protected" "$RT_TMP/enforce-forced.out" ||
	{ cat "$RT_TMP/enforce-forced.out" >&2; rt_fail "--force did not protect the not-ready baseline"; }
rt_exec l sh -c 'echo x > /etc/x' 2>/dev/null && rt_fail "a protected write went through under --force"
! rt_alerted forced '(.reason // "") | test("not ready")' || rt_fail "--force still alerted 'not ready'"
rt_enforce_stop forced

# --- records lost: the audit backlog starved ---------------------------------------
rt_private_image "$RT_BUSYBOX"; lossy=$RT_IMAGE
RTGUARD_TEST_AUDIT_STARVE=1 rt_learn_bg 6 "$lossy"
rt_run s "$lossy" sh -c 'while true; do ls / >/dev/null; cat /etc/passwd >/dev/null; done'; sid=$RT_ID
rt_learn_wait_attached "$sid"
rt_wait_exit "$RT_LEARN_PID" 30 || { cat "$RT_TMP/learn.out" >&2; rt_fail "starved learn failed"; }
reasons_have "$lossy" "lost [0-9]* audit records"
readiness "$lossy" | jq -e '.audit_lost > 0' >/dev/null || rt_fail "audit_lost is 0 after a starved learn"
# The loss travels with the exported baseline, and survives an import.
"$RTGUARD" policy export --image "$lossy" -o "$RT_TMP/lossy.rtguard" || rt_fail "export"
jq -e '.readiness.audit_lost > 0 and .readiness.ready == false' "$RT_TMP/lossy.rtguard" >/dev/null ||
	rt_fail "the exported baseline does not carry the loss"
RTGUARD_DB=$RT_TMP/fresh.db "$RTGUARD" policy import "$RT_TMP/lossy.rtguard" >/dev/null || rt_fail "import"
RTGUARD_DB=$RT_TMP/fresh.db "$RTGUARD" report --json | jq -e --arg img "$lossy" \
	'.images[] | select(.image == $img) | .readiness | .audit_lost > 0 and .containers_from_start == 1' >/dev/null ||
	rt_fail "the imported baseline forgot the loss or its container start"
rt_assert_eq "$(rt_audit_rules_ours)" 0 "rtguard audit rules left"

# --- --until-stable stops by itself ---------------------------------------------------
rt_private_image "$RT_BUSYBOX"; stable=$RT_IMAGE
rt_run st "$stable" sh -c 'echo once >/tmp/y; exec sleep 300'; stid=$RT_ID
start=$(date +%s)
rt_learn_bg 60 "$stable" --until-stable 3s
rt_learn_wait_attached "$stid"
rt_wait_exit "$RT_LEARN_PID" 40 || { cat "$RT_TMP/learn.out" >&2; rt_fail "learn --until-stable failed"; }
[ $(($(date +%s) - start)) -lt 40 ] || rt_fail "learn --until-stable ran to its duration"
rt_assert_contains "$RT_TMP/learn.out" "converged: nothing new for 3s"
readiness "$stable" | jq -e '.quiet_period_s == 3' >/dev/null || rt_fail "the quiet period of --until-stable is not the image's"
rt_pass
