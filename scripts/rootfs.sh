# rootfs.sh: sourced by the scripts that build local images (no registry
# here): the one busybox root filesystem the test images, the bench
# images and the tests' own images start from.

# busybox_rootfs DIR [HOSTNAME]: a busybox-static root in DIR, every applet
# a symlink to /bin/busybox, root and nobody in /etc/passwd.
busybox_rootfs() {
	local r=$1 applet
	mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,etc,tmp,root,var/log,proc,sys,dev}
	chmod 1777 "$r/tmp"
	cp /bin/busybox "$r/bin/busybox"
	for applet in $(/bin/busybox --list); do
		[ "$applet" = busybox ] || ln -sf busybox "$r/bin/$applet"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$r/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
	echo "${2:-rtguard-busybox}" >"$r/etc/hostname"
}
