#!/usr/bin/env bash
# The BPF observer (enforcer/observe.h) on real Podman containers: in a
# container with a noexec tmpfs on /x, a read-only root and
# vm.memfd_noexec=2, what the kernel refuses by itself is reported with
# the errno and the path: an exec from /x (EACCES), the loader run on a
# file there and an LD_PRELOAD of one (mmap PROT_EXEC, EPERM), mprotect
# PROT_EXEC of a map of one, memfd_create(MFD_EXEC), execveat and execve
# of a memfd (EACCES), unlink/mkdir/rename/chmod on the read-only root
# (EROFS); `unshare -U -r -m` and a mount in it are reported as changes.
# A storm of 3000 refused execs: each is a record or counted as lost.
# A clone(CLONE_NEWUSER) is one change, not two (its child leaves the call
# too), and its child runs. Then the cgroup is watched in protect mode
# (the probe's SIGUSR1): `unshare -U -r -m`, clone(CLONE_NEWUSER) and
# clone3(CLONE_NEWUSER) kill their caller, and neither the parent nor the
# child runs another instruction (one "killed" record per call), a
# clone3 whose flags the programs cannot read included (its child is
# judged by the namespaces it got); setns and a plain fork go on. Nothing is reported for a second container
# whose cgroup was not added, nor for the host, whose own unshare lives;
# the programs are gone when the probe exits.
# All of it for both methods: exit-only (the default on x86_64 with BTF)
# and enter+exit (-s).
. "$(dirname "$0")/lib.sh"
: "${top_builddir:=$top_srcdir}"
PROBE=$top_builddir/tests/integration/observe-probe
[ -x "$PROBE" ] || rt_skip "built without the BPF observer (configure --enable-bpf)"
rt_setup
podman image exists "$RT_NGINX" || rt_skip "$RT_NGINX missing (run scripts/build-test-images.sh)"

progs_loaded() { bpftool prog show 2>/dev/null | grep -cE ' name observe_(exit|exit_regs|enter[1-6]) ' || true; }
before=$(progs_loaded)

RT_RUN_OPTS="--read-only --tmpfs /x:rw,noexec,size=16m"
rt_run prot "$RT_NGINX" sleep 600; prot=$RT_ID
rt_run other "$RT_BUSYBOX" sleep 600; other=$RT_ID
unset RT_RUN_OPTS
prot_pid=$(podman inspect -f '{{.State.Pid}}' "$prot")
other_pid=$(podman inspect -f '{{.State.Pid}}' "$other")
# As the enforcer does at attach: memfds of this pid namespace never exec.
nsenter --target "$prot_pid" --pid -- sh -c 'echo 2 > /proc/sys/vm/memfd_noexec' ||
	rt_fail "could not set vm.memfd_noexec in the container"

# A fork into a new user namespace, by clone(CLONE_NEWUSER | SIGCHLD) and
# by clone3 (struct clone_args: flags, pidfd, child_tid, parent_tid,
# exit_signal, stack, stack_size, tls): each side says that it ran.
clone_pl='my $p = syscall(56, 0x10000011, 0, 0, 0, 0);
	if ($p == 0) { syswrite(STDOUT, "child RAN\n"); exec "/bin/true" }
	die "clone: $!" if $p < 0; waitpid($p, 0); syswrite(STDOUT, "parent RAN on\n")'
clone3_pl='my $a = pack("Q8", 0x10000000, 0, 0, 0, 17, 0, 0, 0);
	my $p = syscall(435, $a, 64);
	if ($p == 0) { syswrite(STDOUT, "child RAN\n"); exec "/bin/true" }
	die "clone3: $!" if $p < 0; waitpid($p, 0); syswrite(STDOUT, "parent RAN on\n")'
# The same clone3, its clone_args in a file mapping not faulted in yet: the
# programs' read of the flags fails where the kernel's copy faults it in.
clone3_cold_pl='open(my $f, ">", "/x/cargs") or die "cargs: $!";
	print $f pack("Q8", 0x10000000, 0, 0, 0, 17, 0, 0, 0); close $f;
	open($f, "<", "/x/cargs") or die "cargs: $!";
	my $a = syscall(9, 0, 4096, 1, 2, fileno($f), 0);	# PROT_READ, MAP_PRIVATE
	die "mmap: $!" if $a == -1;
	my $p = syscall(435, $a, 64);
	if ($p == 0) { syswrite(STDOUT, "child RAN\n"); exec "/bin/true" }
	die "clone3: $!" if $p < 0; waitpid($p, 0); syswrite(STDOUT, "parent RAN on\n")'

# observe_with METHOD [PROBE-OPTION]: every check, with one probe.
observe_with() {
	local method=$1; shift
	out=$RT_TMP/probe-$method.out
	local probe cg bad lost storm storm_seen
	: >"$out"
	rt_bg "$out" "$PROBE" -v "$@" "$prot_pid"
	probe=$RT_BG_PID
	for _ in $(seq 100); do
		grep -q '^ready' "$out" && break
		kill -0 "$probe" 2>/dev/null || break
		sleep 0.1
	done
	if ! grep -q '^ready' "$out"; then
		wait "$probe"; rc=$?
		[ "$rc" = 77 ] && rt_skip "observer unavailable: $(grep observe-probe "$out")"
		cat "$out" >&2; rt_fail "the probe did not start (rc $rc)"
	fi
	if ! grep -q "^ready $method\$" "$out"; then
		# exit-only needs x86_64 and the kernel's BTF (observe.h)
		kill -TERM "$probe"; rt_wait_exit "$probe" 30
		[ "$method" = exit-only ] || { cat "$out" >&2; rt_fail "not the $method method"; }
		rt_log "the exit-only method is unavailable here: $(grep '^ready' "$out")"
		return 0
	fi
	rt_log "method $method"
	cg=$(sed -n 's/^observe-probe: pid [0-9]*: cgroup \([0-9]*\)$/\1/p' "$out")
	[ -n "$cg" ] || { cat "$out" >&2; rt_fail "no cgroup id for the container"; }
	[ "$(progs_loaded)" -gt "$before" ] || rt_fail "no observe_* program loaded"

	# expect DESCRIPTION EXTENDED-REGEX: a line of the probe matches, soon.
	expect() {
		rt_wait_for 5 grep -qE -- "$2" "$out" ||
			{ sed 's/^/  | /' "$out" >&2; rt_fail "$method: $1: no line matching /$2/"; }
	}
	ok() { "$@" || rt_fail "could not prepare: $*"; }

	# --- foreign code: noexec mounts and vm.memfd_noexec ---------------------
	ok rt_exec prot cp /usr/bin/true /x/t
	ok rt_exec prot cp /usr/lib/x86_64-linux-gnu/libc.so.6 /x/l.so
	# Through a shell: runc checks faccessat(X_OK) itself and never calls
	# execve for a command it finds not executable.
	rt_exec prot sh -c /x/t 2>/dev/null && rt_fail "/x/t ran from a noexec tmpfs"
	expect "exec from a noexec tmpfs" '^refusal execve EACCES .* path=/x/t '
	rt_exec prot /lib64/ld-linux-x86-64.so.2 /x/t 2>/dev/null &&
		rt_fail "the loader mapped /x/t"
	expect "the loader run on a file in /x" '^refusal mmap EPERM .*comm=ld-linux-x86-64 route=map-exec '
	rt_exec prot env LD_PRELOAD=/x/l.so /bin/true 2>/dev/null
	expect "LD_PRELOAD of a file in /x" '^refusal mmap EPERM .*comm=true route=map-exec '

	podman exec -i "$(rt_cname prot)" perl - >"$RT_TMP/perl.out" 2>&1 9>&- <<-'EOF'
	use strict;
	my $name = "m";
	my $r = syscall(319, $name, 0x10);		# memfd_create(MFD_EXEC)
	print "memfd_create(MFD_EXEC): ", ($r == -1 ? "$!" : "worked"), "\n";
	my $fd = syscall(319, $name, 0);		# sealed noexec by the sysctl
	die "memfd_create: $!" if $fd < 0;
	open(my $o, ">&=", $fd) or die "fdopen: $!";
	open(my $i, "<", "/usr/bin/true") or die "true: $!";
	binmode $i; binmode $o;
	{ local $/; syswrite($o, scalar <$i>); }
	my $empty = "";
	syscall(322, $fd, $empty, 0, 0, 0x1000);	# execveat(fd, "", AT_EMPTY_PATH)
	print "execveat: $!\n";
	# The observer names the file behind fd from /proc/TID/fd afterwards:
	# keep it open a moment (best effort by design; see observe.h).
	select(undef, undef, undef, 1);
	open(my $f, "<", "/x/t") or die "/x/t: $!";
	my $a = syscall(9, 0, 4096, 1, 2, fileno($f), 0);	# mmap(PROT_READ, MAP_PRIVATE)
	$r = syscall(10, $a, 4096, 5);			# mprotect(PROT_READ|PROT_EXEC)
	print "mprotect: ", ($r == -1 ? "$!" : "worked"), "\n";
	exec {"/proc/self/fd/$fd"} "memfd";
	print "exec: $!\n";
	EOF
	rt_assert_not_contains "$RT_TMP/perl.out" "worked" "a memfd or mprotect route was not refused"
	expect "memfd_create(MFD_EXEC)" '^refusal memfd_create EACCES .*route=memfd-exec .*path=m '
	expect "execveat of a memfd" '^refusal execveat EACCES .* from_fd=1 path=/memfd:m \(deleted\)'
	expect "mprotect PROT_EXEC of a map of /x/t" '^refusal mprotect EACCES .*comm=perl route=map-exec '
	expect "execve of a memfd" '^refusal execve EACCES .* path=/proc/self/fd/[0-9]+ '

	# --- writes to the read-only root -----------------------------------------
	rt_exec prot rm -f /usr/bin/id 2>/dev/null && rt_fail "rm /usr/bin/id worked"
	expect "unlink on the read-only root" '^refusal unlink(at)? EROFS .* path=/usr/bin/id '
	rt_exec prot mkdir /usr/evil 2>/dev/null && rt_fail "mkdir /usr/evil worked"
	expect "mkdir on the read-only root" '^refusal mkdir(at)? EROFS .* path=/usr/evil '
	rt_exec prot mv /etc/passwd /etc/passwd.old 2>/dev/null && rt_fail "mv /etc/passwd worked"
	expect "rename on the read-only root" '^refusal rename(at|at2)? EROFS .* path=/etc/passwd path2=/etc/passwd.old$'
	rt_exec prot chmod 4755 /usr/bin/id 2>/dev/null && rt_fail "chmod worked"
	expect "chmod on the read-only root" '^refusal (f)?chmod(at|at2)? EROFS .* path=/usr/bin/id '

	# --- what can undo protection: a user + mount namespace, a mount ----------
	rt_exec prot unshare -U -r -m sh -c 'mount -t tmpfs none /x && cp /usr/bin/true /x/t2 && /x/t2' ||
		rt_log "note: unshare + mount in the container did not work here"
	expect "unshare of a user and mount namespace" '^change unshare ok ret=0 .*route=namespace '
	expect "a mount in the new namespace" '^change mount ok ret=0 .*route=mount .*path=/x path2=none$'
	# clone(CLONE_NEWUSER | SIGCHLD), a fork into a new user namespace:
	# observed only, so its child runs (and says so on stdout)
	rt_exec prot perl -e "$clone_pl" >"$RT_TMP/clone.out" 2>&1 ||
		{ cat "$RT_TMP/clone.out" >&2; rt_fail "clone(CLONE_NEWUSER) failed in the container"; }
	rt_assert_contains "$RT_TMP/clone.out" "child RAN"
	rt_assert_contains "$RT_TMP/clone.out" "parent RAN on"
	expect "clone of a new user namespace" '^change clone ok ret=[1-9][0-9]* .*comm=perl route=namespace '
	sleep 0.5
	[ "$(grep -c '^change clone ' "$out")" = 1 ] ||
		{ cat "$out" >&2; rt_fail "$method: one clone, not one change"; }

	# --- a storm: every refusal is either delivered or counted as lost --------
	storm=3000
	storm_records() { grep -c '^refusal execve EACCES .* comm=sh .* path=/x/t ' "$out"; }
	storm_done() { [ "$(storm_records)" -gt "$storm" ]; }
	rt_exec prot sh -c "i=0; while [ \$i -lt $storm ]; do /x/t 2>/dev/null; i=\$((i + 1)); done"
	rt_wait_for 10 storm_done ||
		rt_log "fewer than $storm storm records: the rest must be counted as lost"
	storm_seen=$(storm_records)
	storm_seen=$((storm_seen - 1))	# the first exec above

	# --- protect mode: a new user or mount namespace kills its maker ----------
	kill -USR1 "$probe"
	expect "the switch to protect mode" '^protect$'
	killed() {	# killed DESCRIPTION SYSCALL CMD...: CMD is killed, says nothing
		local what=$1 sc=$2 rc; shift 2
		rt_exec prot "$@" >"$RT_TMP/killed.out" 2>&1; rc=$?
		[ "$rc" = 137 ] || { cat "$RT_TMP/killed.out" >&2; rt_fail "$method: $what: rc $rc, not killed"; }
		rt_assert_not_contains "$RT_TMP/killed.out" "RAN" "$method: $what: code ran in the new namespace"
		expect "$what killed" "^killed $sc ok ret=[0-9]+ .*route=namespace "
	}
	killed "unshare -U -r -m" unshare unshare -U -r -m sh -c 'mount -t tmpfs none /x; echo RAN'
	killed "clone(CLONE_NEWUSER)" clone perl -e "$clone_pl"
	killed "clone3(CLONE_NEWUSER)" clone3 perl -e "$clone3_pl"
	sleep 0.5
	# The exit-only method kills the clone's child too, silently; a
	# clone3's child by its namespaces, with a record (two for one call).
	[ "$(grep -c '^killed clone ' "$out")" = 1 ] ||
		{ cat "$out" >&2; rt_fail "$method: one clone, not one killed record"; }
	n=$(grep -c '^killed clone3 ' "$out")
	[ "$n" = 1 ] || { [ "$method" = exit-only ] && [ "$n" = 2 ]; } ||
		{ cat "$out" >&2; rt_fail "$method: one clone3, $n killed records"; }
	# Flags unread: the child is killed by the namespace it got (its own
	# record, ret=0); its parent lives if its own read failed too.
	cold_killed() { grep -c '^killed clone3 ok ret=0 .*comm=perl route=namespace ' "$out"; }
	n=$(cold_killed)
	rt_exec prot perl -e "$clone3_cold_pl" >"$RT_TMP/killed.out" 2>&1
	rt_assert_not_contains "$RT_TMP/killed.out" "child RAN" "$method: clone3 with cold clone_args: the child ran"
	cold_more() { [ "$(cold_killed)" -gt "$n" ]; }
	rt_wait_for 5 cold_more ||
		{ cat "$out" >&2; rt_fail "$method: no record of the clone3 child killed by its namespaces"; }
	# podman exec itself (runc's init starts threads with clone3, whose
	# clone_args on the parent's stack are gone when the thread reads
	# them): never killed, however often.
	for _ in $(seq 10); do
		rt_exec prot true || rt_fail "$method: podman exec failed in protect mode"
	done
	out2=$(rt_exec prot perl -e 'open(F, "<", "/proc/self/ns/mnt") or die "ns: $!";
		syscall(308, fileno(F), 0); print "alive\n"' 2>&1)
	[ "$out2" = alive ] || rt_fail "$method: setns was killed in protect mode ($out2)"
	expect "setns seen, not killed" '^(refusal|change) setns .*comm=perl '
	out2=$(rt_exec prot sh -c 'sh -c "echo forked"; perl -e "fork or exit; wait; print qq(perl forked)"' 2>&1)
	[ "$out2" = "forked
perl forked" ] || rt_fail "$method: a plain fork failed in protect mode ($out2)"
	! grep -qE '^killed (setns|mount|execve)' "$out" || rt_fail "$method: a call other than a new namespace killed"

	# --- nothing from elsewhere -------------------------------------------------
	rt_exec other sh -c 'cp /bin/busybox /x/bb; /x/bb true; rm /bin/ls; mkdir /usr/o' 2>/dev/null &&
		rt_fail "the other container's attacks were not refused by the kernel"
	hostdir=$RT_TMP/noexec
	mkdir -p "$hostdir"
	unshare -m sh -c "mount -t tmpfs -o noexec none '$hostdir' && cp /bin/true '$hostdir/t' && '$hostdir/t'" 2>/dev/null &&
		rt_fail "the host ran a file from a noexec tmpfs"
	sleep 1
	rt_assert_not_contains "$out" "path=/x/bb" "the other container (not added) was reported"
	rt_assert_not_contains "$out" "path=/usr/o" "the other container (not added) was reported"
	rt_assert_not_contains "$out" "path=$hostdir" "the host was reported"
	# The host's own new user and mount namespace, in protect mode: alive.
	unshare -U -r -m true || rt_fail "$method: unshare -U -r -m on the host failed"
	bad=$(grep -E '^(refusal|change|killed) ' "$out" | grep -vc " cgroup=$cg " || true)
	[ "$bad" = 0 ] || { cat "$out" >&2; rt_fail "$bad records from another cgroup than $cg"; }

	# --- removed with the process ----------------------------------------------
	# Detaching waits for an RCU grace period per tracepoint (observe.c):
	# 2.5 s for exit-only, 5 s for enter+exit.
	kill -TERM "$probe"
	rt_wait_exit "$probe" 30 || { cat "$out" >&2; rt_fail "the probe exited non-zero"; }
	lost=$(sed -n 's/^lost \([0-9]*\)$/\1/p' "$out")
	[ "$((storm_seen + lost))" = "$storm" ] ||
		rt_fail "storm of $storm refused execs: $storm_seen records + $lost lost"
	rt_log "$method: storm of $storm refused execs: $storm_seen records, $lost lost"
	[ "$(progs_loaded)" -le "$before" ] || rt_fail "observe_* programs still loaded after the probe exited"
	rt_log "$method: $(grep -cE '^(refusal|change|killed) ' "$out") records, all from cgroup $cg:"
	grep -E '^(refusal|change|killed) ' "$out" | sed 's/^/  | /' >&2
}

observe_with exit-only
observe_with enter+exit -s
rt_pass
