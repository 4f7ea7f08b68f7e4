#!/usr/bin/env bash
# Protected from the first exec: with rtguard's OCI createRuntime hook (in
# a private hooks directory), a container of a baselined image is attached
# before its entrypoint runs. An unlearned command as the container's own
# command, a loop of unlearned execs started at once, an exec right after
# start, and another tag of the same image are all refused, every time; a
# learned command runs. A new image pushed under the baseline's tag is
# monitored, not enforced with hashes that cannot match, and says so. With
# no enforcer the hook lets containers start; with an enforcer that does
# not answer, the container does not start and the error says why. runc's
# own setup after the hook and podman exec are never killed as making a
# namespace of their own.
. "$(dirname "$0")/lib.sh"
rt_setup
rt_audit_lock
rt_hooks_setup

hrun() {	# hrun IMAGE CMD...: a --rm container through the hook
	# shellcheck disable=SC2086
	podman $RT_PODMAN_OPTS run --rm --network none "$@" 9>&-
}

# Learn nginx's image with a little workload.
rt_run web "$RT_NGINX"; web=$RT_ID
rt_learn_bg 30 rtguard-nginx
rt_wait_for 15 grep -q "attached to container ${web:0:12}" "$RT_TMP/learn.out" ||
	{ cat "$RT_TMP/learn.out" >&2; rt_fail "the learner did not attach"; }
rt_exec web sh -c 'ls / >/dev/null; cat /etc/hostname >/dev/null; sleep 0.1' || rt_fail "workload"
kill -INT "$RT_LEARN_PID"
rt_wait_exit "$RT_LEARN_PID" 20 || { cat "$RT_TMP/learn.out" >&2; rt_fail "learn failed"; }
rt_stop web

# A second image, learned, then replaced under the same tag.
bb_root=$RT_TMP/bbroot
mkdir -p "$bb_root/bin" "$bb_root/tmp" "$bb_root/etc"
cp /bin/busybox "$bb_root/bin/busybox"
ln -s busybox "$bb_root/bin/sh"
tag=localhost/rtguard-hooktest-$$:test
tar -C "$bb_root" -c . | podman import -q --change 'CMD ["/bin/sh"]' - "$tag" >/dev/null ||
	rt_fail "podman import"
_rt_images=("$tag")
rt_run bb "$tag" /bin/busybox sleep 600
rt_learn_bg 30 "$tag"
rt_wait_for 15 grep -q "attached to container ${RT_ID:0:12}" "$RT_TMP/learn.out" ||
	{ cat "$RT_TMP/learn.out" >&2; rt_fail "the learner did not attach to the busybox image"; }
rt_exec bb /bin/busybox true
kill -INT "$RT_LEARN_PID"
rt_wait_exit "$RT_LEARN_PID" 20 || rt_fail "learn (busybox) failed"
rt_stop bb
echo changed >"$bb_root/etc/marker"
tar -C "$bb_root" -c . | podman import -q --change 'CMD ["/bin/sh"]' - "$tag" >/dev/null ||
	rt_fail "podman import (new version)"

# With no enforcer running, the hook stays out of the way.
out=$(hrun "$RT_NGINX" /usr/bin/whoami 2>&1) || rt_fail "with no enforcer, the hook stopped a container: $out"

rt_enforce_bg hook --force	# 30 s learns are not ready: protect them anyway
a=hook
# 1. The container's own command, never learned: refused, 3 times of 3.
for i in 1 2 3; do
	out=$(hrun "$RT_NGINX" /usr/bin/whoami 2>&1) && rt_fail "whoami ran as the container's command: $out"
	grep -q "not permitted" <<<"$out" || rt_fail "whoami failed without EPERM: $out"
done
[ "$(jq -s '[.[] | select(.path == "/usr/bin/whoami") | .count] | add' "$RT_TMP/alerts-$a.jsonl")" -ge 3 ] ||
	{ cat "$RT_TMP/alerts-$a.jsonl" >&2; rt_fail "the three refusals were not recorded"; }
# 2. A loop of 300 unlearned execs from the first instruction: all refused.
out=$(hrun "$RT_NGINX" sh -c 'i=0; f=0; while [ $i -lt 300 ]; do /usr/bin/id >/dev/null 2>&1 || f=$((f+1)); i=$((i+1)); done; echo "refused $f"' 2>&1)
[ "$out" = "refused 300" ] || rt_fail "unlearned execs at start: $out"
# 3. ... right after a short sleep, and by podman exec right after start.
out=$(hrun "$RT_NGINX" sh -c 'sleep 0.01; /usr/bin/whoami' 2>&1) && rt_fail "whoami ran after 10 ms: $out"
rt_run late "$RT_NGINX" sleep 600; late=$RT_ID
out=$(rt_exec late /usr/bin/whoami 2>&1) && rt_fail "whoami ran by podman exec right after start: $out"
# runc's exec joins the container's namespaces (setns): never killed.
rt_exec late ls / >/dev/null || rt_fail "podman exec of a learned command failed"
grep -q "protected: .*mounts" <(grep "container ${late:0:12}" "$RT_TMP/enforce-$a.out") ||
	{ cat "$RT_TMP/enforce-$a.out" >&2; rt_fail "the late container was not protected at start"; }
# 4. A learned command runs, and the protection is in place before it.
out=$(hrun "$RT_NGINX" sh -c 'ls / >/dev/null && awk "\$5 == \"/usr\" { print \$6 }" /proc/self/mountinfo' 2>&1)
# awk is not learned: the check must come from a learned tool.
out=$(hrun "$RT_NGINX" sh -c 'ls / >/dev/null && cat /proc/self/mountinfo' 2>&1) || rt_fail "a learned command failed: $out"
grep -q " /usr ro," <<<"$out" || rt_fail "/usr was not read-only at the first instruction: $out"
# 5. Another tag of the same image is the same baseline.
podman tag "$RT_NGINX" localhost/rtguard-nginx:alias-$$ || rt_fail "podman tag"
_rt_images+=("localhost/rtguard-nginx:alias-$$")
out=$(hrun "localhost/rtguard-nginx:alias-$$" /usr/bin/whoami 2>&1) && rt_fail "whoami ran under another tag: $out"
# 6. A new image under the learned tag: monitored, and said loudly.
out=$(hrun "$tag" /bin/busybox true 2>&1) || rt_fail "the new image was not allowed to start (monitor expected): $out"
rt_alerted $a '.type == "attach" and (.reason | test("image id differs"))' ||
	{ cat "$RT_TMP/alerts-$a.jsonl" >&2; rt_fail "no alert for the image id that differs"; }
# 7. An enforcer that does not answer: the container does not start, and
# the hook says why, within its timeout.
kill -STOP "$RT_ENF_PID"
start=$(date +%s)
out=$(hrun "$RT_NGINX" /usr/bin/ls / 2>&1); rc=$?
kill -CONT "$RT_ENF_PID"
[ $rc -ne 0 ] || rt_fail "a container started while the enforcer could not protect it"
grep -q "did not answer" <<<"$out" || rt_fail "the hook's failure does not say why: $out"
[ $(( $(date +%s) - start )) -le 25 ] || rt_fail "the hook waited longer than its timeout"
out=$(hrun "$RT_NGINX" /usr/bin/ls / 2>&1) || rt_fail "after SIGCONT, a learned command failed: $out"
rt_enforce_stop hook
# runc's own setup after the hook (pivot_root, mounts) and podman exec
# made no user or mount namespace in a protected cgroup: nothing killed.
! rt_alerted $a '.route == "namespace"' ||
	{ grep '"namespace"' "$RT_TMP/alerts-$a.jsonl" >&2; rt_fail "runc's setup or podman exec was killed"; }
! grep -q ") killed: " "$RT_TMP/enforce-$a.out" || rt_fail "the enforcer killed a process of runc's setup"
for img in "${_rt_images[@]}"; do podman rmi -f "$img" >/dev/null 2>&1; done
rt_pass
