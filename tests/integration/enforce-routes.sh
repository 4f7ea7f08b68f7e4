#!/usr/bin/env bash
# The attacker's routes, on a real nginx container protected through the
# OCI hook: a shell through the whitelisted sh and perl tries every way to
# run foreign code, to change a whitelisted binary, and to write into a
# protected directory. Each is refused; the ones fanotify decides are
# recorded; the learned workload keeps working throughout (no false
# positive), and the binaries are unchanged afterwards.
. "$(dirname "$0")/lib.sh"
rt_setup
rt_audit_lock
command -v curl >/dev/null || rt_skip "curl missing"
rt_hooks_setup

# Helper scripts on a read-only volume: perl reads them, nothing runs them.
t=$RT_TMP/t
mkdir -p "$t" "$RT_TMP/vol"
cat >"$t/openat2.pl" <<'PL'
# openat2(AT_FDCWD, path, {flags}) -> errno text ("ok" if it opened)
my ($path, $flags) = @ARGV;
my $how = pack("QQQ", $flags, 0, 0);
my $fd = syscall(437, -100, $path, $how, length($how));
print $fd >= 0 ? "ok\n" : "$!\n";
PL
cat >"$t/tmpfile.pl" <<'PL'
# O_TMPFILE in a directory, then linkat it in: the way in without a name.
my ($dir, $name) = @ARGV;
my $fd = syscall(257, -100, $dir, 0x410000 | 2, 0755);	# O_TMPFILE|O_RDWR
if ($fd < 0) { print "open: $!\n"; exit; }
my $empty = "";	# perl's syscall() may write to its arguments
my $r = syscall(265, $fd, $empty, -100, $name, 0x1000);	# linkat AT_EMPTY_PATH
print $r == 0 ? "linked\n" : "linkat: $!\n";
PL
cat >"$t/xattr.pl" <<'PL'
my ($path, $name, $value) = ($ARGV[0], "user.rtguard", "1");
my $r = syscall(188, $path, $name, $value, 1, 0);	# setxattr
print $r == 0 ? "ok\n" : "$!\n";
PL
cat >"$t/memfd.pl" <<'PL'
# Copy a binary into a memfd; exec it through /proc/self/fd, or execveat.
my ($src, $how) = @ARGV;
my ($name, $empty) = ("x", "");	# perl's syscall() may write to them
my $fd = syscall(319, $name, 0);
die "memfd_create: $!\n" if $fd < 0;
open(my $out, ">&=", $fd) or die "fdopen: $!\n";
open(my $in, "<", $src) or die "open: $!\n";
binmode $in; binmode $out;
{ local $/; print $out scalar <$in>; }
$out->flush;
if ($how eq "execveat") {
	syscall(322, $fd, $empty, 0, 0, 0x1000);
	print "execveat: $!\n";
} else {
	exec { "/proc/self/fd/$fd" } "x";
	print "exec: $!\n";
}
PL
cat >"$t/fdexec.pl" <<'PL'
# Open a file, delete it, exec what the descriptor still holds.
my ($path) = @ARGV;
open(my $f, "<", $path) or die "open: $!\n";
unlink($path);
exec { "/proc/self/fd/" . fileno($f) } "x";
print "exec: $!\n";
PL
cat >"$t/nsescape.pl" <<'PL'
# In a new user + mount namespace of its own (made by `unshare -U -r -m`
# around it, or here by clone or clone3 with CLONE_NEWUSER|CLONE_NEWNS):
# a fresh tmpfs on /mnt, a copy of touch there, run: it makes the marker.
my ($marker, $how) = @ARGV;
my ($src, $dst, $type) = ("t", "/mnt", "tmpfs");
sub escape {
	syscall(165, $src, $dst, $type, 0, 0) == 0 or die "mount: $!\n";
	system("cp", "/usr/bin/touch", "/mnt/x") == 0 or die "cp failed\n";
	exec { "/mnt/x" } "x", $marker;
	die "exec: $!\n";
}
escape() if !defined $how;
my $flags = 0x10000000 | 0x00020000;	# CLONE_NEWUSER | CLONE_NEWNS
my $p;
my $args = pack("Q8", $flags, 0, 0, 0, 17, 0, 0, 0);	# exit_signal SIGCHLD
if ($how eq "clone") {
	$p = syscall(56, $flags | 17, 0, 0, 0, 0);
} elsif ($how eq "clone3-cold") {
	# clone_args in a file mapping not faulted in: a BPF read of it fails
	open(my $f, ">", "/tmp/cargs") or die "cargs: $!\n";
	print $f $args;
	close $f;
	open($f, "<", "/tmp/cargs") or die "cargs: $!\n";
	my $a = syscall(9, 0, 4096, 1, 2, fileno($f), 0);	# PROT_READ, MAP_PRIVATE
	die "mmap: $!\n" if $a == -1;
	$p = syscall(435, $a, length($args));
} else {
	$p = syscall(435, $args, length($args));
}
die "$how: $!\n" if $p < 0;
escape() if $p == 0;
waitpid($p, 0);
print "parent alive\n";
PL
cat >"$t/dl.pl" <<'PL'
require DynaLoader;
my $h = DynaLoader::dl_load_file($ARGV[0], 0);
print $h ? "loaded\n" : "refused: " . DynaLoader::dl_error() . "\n";
PL

RT_RUN_OPTS="-v $t:/t:ro -v $RT_TMP/vol:/vol --tmpfs /scratch:rw,exec,size=64m"
rt_run web "$RT_NGINX"; web=$RT_ID
rt_wait_for 15 curl -sf -o /dev/null http://127.0.0.1:8080/ || rt_fail "nginx did not answer"

# --- learning: the tools the attacker will use, used benignly ------------
workload() {
	local i
	for i in $(seq 10); do curl -sf -o /dev/null http://127.0.0.1:8080/ || return 1; done
	rt_exec web sh -c 'ls / >/dev/null && cat /etc/hostname >/dev/null && id >/dev/null &&
		echo ok > /tmp/work.txt && head -1 /tmp/work.txt >/dev/null &&
		echo "learned" >> /var/log/nginx/app.log'
}
rt_learn_bg 30 rtguard-nginx
rt_wait_for 15 grep -q "attached to container ${web:0:12}" "$RT_TMP/learn.out" ||
	{ cat "$RT_TMP/learn.out" >&2; rt_fail "the learner did not attach"; }
workload || rt_fail "the workload failed during learning"
rt_exec web sh -c 'cp /usr/bin/ls /tmp/l && chmod 755 /tmp/l && chown root /tmp/l &&
	ln -s /tmp/l /tmp/s && ln /tmp/l /tmp/h && mv /tmp/l /tmp/m && truncate -s 0 /tmp/m &&
	touch /tmp/n && rm -f /tmp/m /tmp/s /tmp/h /tmp/n && mkdir /tmp/d && rmdir /tmp/d &&
	perl /t/xattr.pl /tmp/work.txt >/dev/null; perl -e 1; sha256sum /tmp/work.txt >/dev/null;
	unshare --help >/dev/null' || rt_fail "the learning commands failed"
# The app writes a script and runs it: learned, and allowed by its hash.
rt_exec web sh -c 'mkdir -p /opt/app && printf "#!/bin/sh\necho app\n" > /opt/app/run.sh &&
	chmod 755 /opt/app/run.sh && /opt/app/run.sh' >/dev/null || rt_fail "the app script failed"
kill -INT "$RT_LEARN_PID"
rt_wait_exit "$RT_LEARN_PID" 20 || { cat "$RT_TMP/learn.out" >&2; rt_fail "learn failed"; }
ls_sum=$(rt_exec web sha256sum /usr/bin/ls)

# --- enforcement, with the hook: a fresh container is protected from its
# first instruction; the running one is attached late -------------------
rt_enforce_bg routes --force	# a 30 s learn is not ready: protect it anyway
rt_wait_protected routes "$web"
rt_stop web
rt_run web "$RT_NGINX"; web=$RT_ID
rt_wait_protected routes "$web"
rt_wait_for 15 curl -sf -o /dev/null http://127.0.0.1:8080/ || rt_fail "nginx did not start under protection"
workload || { cat "$RT_TMP/alerts-routes.jsonl" >&2; rt_fail "the learned workload failed under enforcement"; }
rt_exec web /opt/app/run.sh >/dev/null 2>&1 && rt_fail "test bug: the new container has the old one's script"

refused=0
# refused DESCRIPTION PATTERN CMD...: CMD fails, its output matches PATTERN.
refused() {
	local what=$1 pat=$2 out rc; shift 2
	out=$(rt_exec web "$@" 2>&1 | tr -d '\0'; exit "${PIPESTATUS[0]}"); rc=$?
	out="$out (rc=$rc)"
	if [ $rc -eq 0 ] && ! grep -qiE "$pat" <<<"$out"; then
		rt_fail "$what: it worked ($out)"
	fi
	grep -qiE "$pat" <<<"$out" || {
		podman ps -a --filter "id=$web" --format "{{.Status}}" >&2; podman logs "$web" 2>&1 | tail -5 >&2
		tail -20 "$RT_TMP/enforce-routes.out" >&2
		rt_fail "$what: refused, but not as expected ('$pat'): $out"; }
	refused=$((refused + 1))
}
drop() { echo "cp /usr/bin/ls $1 && chmod 755 $1"; }
denied='permission denied|not permitted|exec: Permission|exec failed'
rofs='read-only file system|Read-only'

# Foreign code, by exec, from every place the container can write.
for d in /tmp /var/tmp /root /dev/shm /dev /run /vol /scratch /home; do
	refused "exec of a binary dropped in $d" "$denied" sh -c "$(drop "$d/evil") && $d/evil /"
done
refused "exec of a #! script in /tmp" "$denied" sh -c 'printf "#!/bin/sh\necho evil\n" > /tmp/e.sh && chmod 755 /tmp/e.sh && /tmp/e.sh'
refused "exec of a file created directly in /" "$rofs|$denied" sh -c "$(drop /evil) && /evil"
refused "exec through /proc/self/fd of a deleted volume file" "exec: Permission denied" sh -c "$(drop /vol/gone) && perl /t/fdexec.pl /vol/gone"
refused "exec of a memfd through /proc/self/fd" "exec: Permission denied" perl /t/memfd.pl /usr/bin/id
refused "execveat(AT_EMPTY_PATH) of a memfd" "execveat: Permission denied" perl /t/memfd.pl /usr/bin/id execveat
# The loader, LD_PRELOAD, dlopen.
# The loader run directly: refused by its exec check, or (once the
# kernel guards it) killed before its first instruction (137).
killed="$denied|rc=137|Killed"
refused "the loader run on a dropped binary" "$killed" sh -c "$(drop /tmp/evil); /lib64/ld-linux-x86-64.so.2 /tmp/evil"
refused "the loader run on an unlearned image binary" "$killed" /lib64/ld-linux-x86-64.so.2 /usr/bin/whoami
refused "the loader run through a symlink alias" "$killed" sh -c 'ln -sf /lib64/ld-linux-x86-64.so.2 /tmp/x && /tmp/x /usr/bin/whoami'
refused "LD_PRELOAD of a dropped library" "cannot be preloaded|failed to map" sh -c 'cp /usr/lib/x86_64-linux-gnu/libc.so.6 /tmp/evil.so && LD_PRELOAD=/tmp/evil.so ls /'
refused "perl dlopen of a dropped library" "refused: .*failed to map" sh -c 'cp /usr/lib/x86_64-linux-gnu/libc.so.6 /tmp/e2.so && perl /t/dl.pl /tmp/e2.so'
out=$(rt_exec web perl /t/dl.pl /usr/lib/x86_64-linux-gnu/libc.so.6 2>&1)
[ "$out" = loaded ] || rt_fail "dlopen of an image library was refused: $out"
# Unlearned image binaries, directly and as the container's own command.
refused "an unlearned image binary" "$denied" /usr/bin/whoami
refused "an unlearned binary from a shell" "$denied" sh -c /usr/bin/whoami

# A whitelisted binary, exec'd (and cached in the kernel) already: changed
# by any route, never.
rt_exec web ls / >/dev/null || rt_fail "ls failed"
refused "write-open of /usr/bin/ls" "$rofs" sh -c 'echo x >> /usr/bin/ls'
refused "openat2(O_RDWR) of /usr/bin/ls" "Read-only" perl /t/openat2.pl /usr/bin/ls 2
refused "truncate of /usr/bin/ls" "$rofs" truncate -s 0 /usr/bin/ls
refused "chmod of /usr/bin/ls" "$rofs" chmod 777 /usr/bin/ls
refused "chown of /usr/bin/ls" "$rofs" chown 65534 /usr/bin/ls
refused "rename of /usr/bin/ls away" "$rofs" mv /usr/bin/ls /usr/bin/ls.old
refused "rename over /usr/bin/ls" "$rofs|cross-device" sh -c "$(drop /tmp/evil) && mv -f /tmp/evil /usr/bin/ls"
refused "hard link to /usr/bin/ls" "$rofs|cross-device" ln /usr/bin/ls /tmp/ls-link
refused "xattr on /usr/bin/ls" "Read-only" perl /t/xattr.pl /usr/bin/ls
[ "$(rt_exec web sha256sum /usr/bin/ls)" = "$ls_sum" ] || rt_fail "/usr/bin/ls changed"
rt_exec web ls / >/dev/null || rt_fail "ls no longer runs"
# No copy-up happened: the upper layer holds no /usr/bin/ls.
upper=$(podman inspect -f '{{.GraphDriver.Data.UpperDir}}' "$web")
[ ! -e "$upper/usr/bin/ls" ] || rt_fail "/usr/bin/ls was copied up"

# Every write route into protected directories.
refused "create in /usr/bin" "$rofs" sh -c 'echo x > /usr/bin/x'
refused "append to /etc/passwd" "$rofs" sh -c 'echo x >> /etc/passwd'
refused "openat2 create in /etc" "Read-only" perl /t/openat2.pl /etc/new 65
refused "O_TMPFILE + linkat in /usr/bin" "Read-only" perl /t/tmpfile.pl /usr/bin /usr/bin/tmp-evil
refused "rename over /etc/shadow" "$rofs|cross-device" sh -c 'echo x > /tmp/shadow && mv -f /tmp/shadow /etc/shadow'
refused "rename inside /etc" "$rofs" mv /etc/passwd /etc/passwd.old
refused "unlink in /usr/bin" "$rofs" rm -f /usr/bin/id
refused "mkdir in /usr" "$rofs" mkdir /usr/evil
refused "rmdir in /usr" "$rofs" rmdir /usr/games
refused "symlink into /usr/bin" "$rofs" ln -s /tmp/x /usr/bin/evil
refused "chmod in /etc" "$rofs" chmod 777 /etc/passwd
refused "touch (utimes) in /etc" "$rofs" touch /etc/passwd
refused "the engine's /etc/hosts" "$rofs" sh -c 'echo 1.2.3.4 evil >> /etc/hosts'
refused "the engine's /etc/hostname" "$rofs" sh -c 'echo evil > /etc/hostname'
refused "the engine's /etc/resolv.conf" "$rofs" sh -c 'echo nameserver 1.2.3.4 > /etc/resolv.conf'
refused "write in /usr/local" "$rofs" cp /usr/bin/ls /usr/local/bin/ls2

# A user and mount namespace of its own, with a fresh tmpfs in it, is out
# of the mounts' reach: the kernel kills its maker first (the observer, in
# protect mode), so the copy on /mnt never runs and its marker never
# appears. By unshare(1), and by a fork into one with clone and clone3.
if grep -q "recording the kernel's own refusals" "$RT_TMP/enforce-routes.out"; then
	killed_ns="rc=137|Killed"
	refused "unshare -U -r -m and a tmpfs" "$killed_ns" unshare -U -r -m perl /t/nsescape.pl /tmp/escaped-unshare
	refused "clone(CLONE_NEWUSER|CLONE_NEWNS) and a tmpfs" "$killed_ns" perl /t/nsescape.pl /tmp/escaped-clone clone
	refused "clone3(CLONE_NEWUSER|CLONE_NEWNS) and a tmpfs" "$killed_ns" perl /t/nsescape.pl /tmp/escaped-clone3 clone3
	# Flags the kernel reads but the observer cannot: the child is killed
	# by the namespaces it got (its parent may live).
	rt_exec web perl /t/nsescape.pl /tmp/escaped-clone3-cold clone3-cold >/dev/null 2>&1
	sleep 0.5	# a child that escaped would have made its marker by now
	# (sh's own test: /usr/bin/test is not learned, its exec would fail)
	for m in unshare clone clone3 clone3-cold; do
		rt_exec web sh -c "[ ! -e /tmp/escaped-$m ]" ||
			rt_fail "the copy on a tmpfs of a new namespace ran ($m)"
	done
	rt_exec web sh -c 'echo x > /tmp/escaped-probe && [ -e /tmp/escaped-probe ]' ||
		rt_fail "test bug: the marker check cannot see a marker"
	rt_exec web rm -f /tmp/escaped-probe
	rt_wait_for 5 grep -q "container ${web:0:12}: pid [0-9]* (perl) killed: clone3" "$RT_TMP/enforce-routes.out" ||
		{ tail -20 "$RT_TMP/enforce-routes.out" >&2; rt_fail "the log does not say the clone3 was killed"; }
	# setns joins a namespace (runc, podman exec): never killed.
	out=$(rt_exec web perl -e 'open(F, "<", "/proc/self/ns/mnt") or die; syscall(308, fileno(F), 0); print "alive\n"' 2>&1)
	[ "$out" = alive ] || rt_fail "setns was killed: $out"
else
	rt_log "the BPF observer is not available here: a new user and mount namespace is not refused"
fi

# What the app does still works, and it is not read-only where it writes.
workload || { cat "$RT_TMP/alerts-routes.jsonl" >&2; rt_fail "the learned workload failed after the attacks"; }
rt_exec web sh -c 'echo ok > /var/tmp/free && echo ok > /vol/free' || rt_fail "writes outside protected dirs were refused"

# The app's own script: allowed with its learned content, denied changed.
rt_exec web sh -c 'mkdir -p /opt/app && printf "#!/bin/sh\necho app\n" > /opt/app/run.sh && chmod 755 /opt/app/run.sh'
out=$(rt_exec web /opt/app/run.sh 2>&1) || rt_fail "the app's learned script was refused: $out"
rt_exec web sh -c 'printf "#!/bin/sh\necho evil\n" > /opt/app/run.sh'
refused "the app's script with other content" "$denied" /opt/app/run.sh

rt_enforce_stop routes
a=routes
rt_alerted $a '.path == "/usr/bin/whoami" and .decision == "denied" and .route == "exec"' ||
	{ cat "$RT_TMP/alerts-$a.jsonl" >&2; rt_fail "no record of the unlearned exec"; }
rt_alerted $a '.route == "loader" and .decision == "denied"' || rt_fail "no record of the loader run directly"
rt_alerted $a '.path == "/opt/app/run.sh" and .route == "drift"' || rt_fail "no record of the changed app script"
# The refusals the kernel made by itself are recorded too (the observer).
if grep -q "recording the kernel's own refusals" "$RT_TMP/enforce-$a.out"; then
	for d in /tmp /var/tmp /dev/shm /vol /scratch; do
		rt_alerted $a ".path == \"$d/evil\" and .route == \"exec\" and .decision == \"denied\"" ||
			{ cat "$RT_TMP/alerts-$a.jsonl" >&2; rt_fail "no record of the exec refused in $d"; }
	done
	rt_alerted $a '.route == "map-exec"' || rt_fail "no record of a refused executable map"
	# The loader is cached in the kernel once seen: its direct runs are
	# then killed there, race-free, and recorded.
	rt_alerted $a '.route == "loader" and (.reason | test("killed before"))' ||
		{ cat "$RT_TMP/alerts-$a.jsonl" >&2; rt_fail "no direct loader run killed by the kernel"; }
	rt_alerted $a '.route == "exec" and (.path | test("^/proc/self/fd"))' || rt_fail "no record of the memfd exec"
	# A new user and mount namespace: killed, recorded as such, no "undo".
	for p in 'unshare(CLONE_NEWUSER|CLONE_NEWNS)' 'clone(CLONE_NEWUSER|CLONE_NEWNS)' \
	    'clone3(CLONE_NEWUSER or CLONE_NEWNS)'; do
		rt_alerted $a ".path == \"$p\" and .route == \"namespace\" and .decision == \"denied\" and
		    .mode == \"protect\" and (.reason | test(\"namespace would escape rtguard's mounts\"))" ||
			{ cat "$RT_TMP/alerts-$a.jsonl" >&2; rt_fail "no record of $p killed"; }
	done
	! rt_alerted $a '.type == "undo" and (.reason | test("call \\((unshare|clone|clone3)\\)"))' ||
		{ cat "$RT_TMP/alerts-$a.jsonl" >&2; rt_fail "a killed namespace call was reported as undoing protection"; }
	! rt_alerted $a '.route == "namespace" and (.path | test("setns"))' || rt_fail "setns was recorded as killed"
	for p in /usr/bin/id /usr/evil /usr/games /etc/passwd /usr/bin/evil; do
		rt_alerted $a ".path == \"$p\" and .type == \"write\" and (.reason | test(\"read-only\"))" ||
			rt_fail "no record of the write refused at $p"
	done
else
	rt_log "the BPF observer is not available here: kernel refusals were not recorded"
	grep "not recorded" "$RT_TMP/enforce-$a.out" >&2
fi
# Nothing the workload does was denied.
for p in /usr/sbin/nginx /usr/bin/ls /usr/bin/dash /usr/bin/cat /usr/bin/id /usr/bin/head; do
	! rt_alerted $a ".path == \"$p\" and .type == \"exec\"" || rt_fail "the learned $p was denied"
done
! rt_alerted $a '.path == "/var/log/nginx/app.log"' || rt_fail "the learned write to app.log was refused"
# After the stop: rtguard's mounts are gone, the operator's stay.
n=$(rt_exec web cat /proc/self/mountinfo | awk '$5 == "/" || $5 == "/usr" || $5 == "/etc" || $5 == "/tmp"' | wc -l)
[ "$n" = 1 ] ||
	{ rt_exec web cat /proc/self/mountinfo >&2; rt_fail "rtguard's mounts were left behind"; }
rt_exec web sh -c 'grep -q " /t ro," /proc/self/mountinfo' || rt_fail "the operator's read-only volume was changed"
rt_exec web /usr/bin/whoami >/dev/null || rt_fail "whoami does not run after the stop"
rt_log "$refused routes refused"
rt_pass
