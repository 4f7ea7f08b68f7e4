#!/usr/bin/env bash
# Policies and portable baselines on real data: export -> import on a
# fresh database gives the same baseline; two imports merge; a policy file
# change is reloaded by a running enforcer (a writable path is bound back
# into the read-only /etc of the running container, and a deny-exec rule
# takes effect over a decision cached in the kernel) and a bad file is
# rejected with file:line while the last good policy stays; a real Podman container started with the exported seccomp
# profile serves its workload while a syscall it never used fails (EPERM).
. "$(dirname "$0")/lib.sh"
rt_setup
rt_audit_lock

# Learn a busybox workload (a shell loop) started while learning, which
# gives a real baseline with its startup (the seccomp profile needs it).
rt_learn_bg 6 rtguard-busybox
rt_run app "$RT_BUSYBOX" sh -c 'while true; do echo hi > /tmp/out; cat /tmp/out >/dev/null; sleep 0.2; done'
app=$RT_ID
rt_learn_wait_attached "$app"
rt_wait_exit "$RT_LEARN_PID" 20 || { cat "$RT_TMP/learn.out" >&2; rt_fail "learn failed"; }

# --- export / import ------------------------------------------------------
"$RTGUARD" policy export --image rtguard-busybox -o "$RT_TMP/bb.rtguard" ||
	{ cat "$RT_TMP/learn.out" >&2; rt_fail "export failed"; }
[ "$(stat -c %a "$RT_TMP/bb.rtguard")" = 600 ] || rt_fail "exported file is not mode 0600"
dump() { RTGUARD_DB=$1 "$RTGUARD" report --json | jq -S '.images | map({image, executables: [.executables[] | {path, sha256, count}], syscalls, writes})'; }
dump "$RT_DB" >"$RT_TMP/orig.json"
RTGUARD_DB=$RT_TMP/fresh/db "$RTGUARD" policy import "$RT_TMP/bb.rtguard" >"$RT_TMP/import.out" || rt_fail "import failed"
rt_assert_contains "$RT_TMP/import.out" "$RT_BUSYBOX"
dump "$RT_TMP/fresh/db" >"$RT_TMP/fresh.json"
cmp -s "$RT_TMP/orig.json" "$RT_TMP/fresh.json" || { diff "$RT_TMP/orig.json" "$RT_TMP/fresh.json" >&2; rt_fail "export -> import changed the baseline"; }
# Two imports (two nodes) merge: counts add.
RTGUARD_DB=$RT_TMP/fresh/db "$RTGUARD" policy import "$RT_TMP/bb.rtguard" >/dev/null || rt_fail "second import failed"
c1=$(jq '[.[0].executables[].count] | add' "$RT_TMP/orig.json")
c2=$(RTGUARD_DB=$RT_TMP/fresh/db "$RTGUARD" report --json | jq '[.images[0].executables[].count] | add')
rt_assert_eq "$c2" "$((c1 * 2))" "merged counts"
# A corrupt file is refused, naming it, and changes nothing.
head -c 100 "$RT_TMP/bb.rtguard" >"$RT_TMP/bad.rtguard"
if RTGUARD_DB=$RT_TMP/fresh/db "$RTGUARD" policy import "$RT_TMP/bad.rtguard" 2>"$RT_TMP/bad.out"; then
	rt_fail "a truncated baseline was imported"
fi
rt_assert_contains "$RT_TMP/bad.out" "bad.rtguard"

# --- policy reload ---------------------------------------------------------
mkdir -p "$RT_TMP/policies"
cp "$top_srcdir/policies/00-default.conf" "$RT_TMP/policies/"
rt_enforce_bg policy --image rtguard-busybox --policy-dir "$RT_TMP/policies" --force	# a 6 s learn
enf=$RT_ENF_PID
rt_wait_protected policy "$app"
# /etc is read-only in the protected container.
rt_exec app sh -c 'mkdir -p /etc/app' 2>/dev/null && rt_fail "write to /etc was not refused"
rt_exec app sh -c 'echo x >> /etc/group' 2>/dev/null && rt_fail "write to /etc was not refused"
# A writable path by policy: the running enforcer reloads and binds it
# back, into the running container.
printf '[image rtguard-busybox]\nwritable /etc/group\n' >"$RT_TMP/policies/10-site.conf"
rt_wait_for 5 grep -q "policy reloaded" "$RT_TMP/enforce-policy.out" || { cat "$RT_TMP/enforce-policy.out" >&2; rt_fail "policy not reloaded"; }
rt_wait_for 5 grep -q "writable paths follow the reloaded policy" "$RT_TMP/enforce-policy.out" ||
	{ cat "$RT_TMP/enforce-policy.out" >&2; rt_fail "the writable path was not bound back"; }
rt_exec app sh -c 'echo x >> /etc/group' || rt_fail "the reloaded writable rule was not applied"
rt_exec app sh -c 'echo x > /etc/blocked' 2>/dev/null && rt_fail "the writable rule opened more than its path"
# A bad file is rejected with file:line; the last good policy stays.
printf 'mode protect\nallow-exec (unclosed\n' >"$RT_TMP/policies/20-bad.conf"
rt_wait_for 5 grep -q "20-bad.conf:2:" "$RT_TMP/enforce-policy.out" || { cat "$RT_TMP/enforce-policy.out" >&2; rt_fail "bad policy not reported with file:line"; }
rt_exec app sh -c 'echo y >> /etc/group' || rt_fail "the last good policy was dropped"
rt_exec app sh -c 'echo y > /usr/other' 2>/dev/null && rt_fail "protection lost after a bad policy"
# A deny rule added later also stops what was allowed (and cached in the
# kernel) before: the reload flushes the cached decisions.
rt_exec app /bin/busybox true || rt_fail "busybox denied before the deny rule"
rm "$RT_TMP/policies/20-bad.conf"
printf '[image rtguard-busybox]\ndeny-exec ^/bin/busybox$\n' >"$RT_TMP/policies/30-deny.conf"
rt_wait_for 5 sh -c "[ \$(grep -c 'policy reloaded' '$RT_TMP/enforce-policy.out') -ge 2 ]" ||
	{ cat "$RT_TMP/enforce-policy.out" >&2; rt_fail "policy with a deny rule not reloaded"; }
rt_exec app /bin/busybox true 2>/dev/null && rt_fail "a deny-exec rule added by reload was not applied"
# Reloads that do not touch it keep the writable path.
rm "$RT_TMP/policies/30-deny.conf"
rt_wait_for 5 sh -c "[ \$(grep -c 'policy reloaded' '$RT_TMP/enforce-policy.out') -ge 3 ]" ||
	{ cat "$RT_TMP/enforce-policy.out" >&2; rt_fail "policy without the deny rule not reloaded"; }
rt_wait_for 5 rt_exec app /bin/busybox true || rt_fail "busybox still denied once the deny rule went"
rt_exec app sh -c 'echo z >> /etc/group' || rt_fail "the writable path was lost on an unrelated reload"
# Removing the writable rule makes /etc read-only again, live.
rm "$RT_TMP/policies/10-site.conf"
rt_wait_for 5 sh -c "[ \$(grep -c 'writable paths follow' '$RT_TMP/enforce-policy.out') -ge 2 ]" ||
	{ cat "$RT_TMP/enforce-policy.out" >&2; rt_fail "the removed writable path was not unbound"; }
rt_exec app sh -c 'echo w >> /etc/group' 2>/dev/null && rt_fail "/etc/group stayed writable after the rule went"
rt_alerted policy '.reason | test("deny-exec")' || rt_fail "no deny-exec alert"
rt_enforce_stop policy
printf 'mode protect\nallow-exec (unclosed\n' >"$RT_TMP/policies/20-bad.conf"
# enforce refuses to start on a bad policy, naming file and line.
if "$RTGUARD" enforce --policy-dir "$RT_TMP/policies" --duration 1 2>"$RT_TMP/badstart.out"; then
	rt_fail "enforce started with a bad policy"
fi
rt_assert_contains "$RT_TMP/badstart.out" "20-bad.conf:2:"

# --- seccomp ---------------------------------------------------------------
"$RTGUARD" policy export --image rtguard-busybox --format seccomp -o "$RT_TMP/seccomp.json" || rt_fail "seccomp export failed"
jq -e '.defaultAction == "SCMP_ACT_ERRNO"' "$RT_TMP/seccomp.json" >/dev/null || rt_fail "seccomp default action"
# The workload runs under the profile ...
RT_RUN_OPTS="--security-opt seccomp=$RT_TMP/seccomp.json" rt_run sc "$RT_BUSYBOX" sh -c 'echo hi > /tmp/out; cat /tmp/out; sleep 300'
rt_wait_for 10 sh -c "podman logs $(rt_cname sc) 2>&1 | grep -q hi" || { podman logs "$(rt_cname sc)" >&2; rt_fail "workload failed under the profile"; }
# ... and a syscall it never used (chroot via busybox) fails with EPERM.
out=$(rt_exec sc chroot / true 2>&1) && rt_fail "chroot succeeded under the learned profile"
case "$out" in *"not permitted"*) ;; *) rt_fail "chroot failed without EPERM: $out" ;; esac
jq -e '.syscalls[0].names | index("chroot") | not' "$RT_TMP/seccomp.json" >/dev/null || rt_fail "chroot is in the profile"
rt_pass
