# cli/: argument parsing, one file per command, and main().
bin_PROGRAMS += cli/rtguard
cli_rtguard_SOURCES = \
	cli/cmd.c cli/cmd.h \
	cli/cmd-containers.c \
	cli/cmd-enforce.c \
	cli/cmd-help.c \
	cli/cmd-hook.c \
	cli/cmd-learn.c \
	cli/cmd-mount-helper.c \
	cli/cmd-policy.c \
	cli/cmd-report.c \
	cli/cmd-runtime.c \
	cli/cmd-version.c \
	cli/main.c
cli_rtguard_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(LIBEVENT_CFLAGS) $(SQLITE_CFLAGS)
# Order matters for static libraries: users before what they use.
cli_rtguard_LDADD = \
	report/libreport.a \
	enforcer/libenforcer.a \
	learner/liblearner.a \
	daemon/libdaemon.a \
	formats/libformats.a \
	policies/libpolicies.a \
	container/libcontainer.a \
	store/libstore.a \
	common/libcommon.a \
	$(AUDIT_LIBS) $(SQLITE_LIBS) $(PCRE2_LIBS) $(LIBEVENT_LIBS) \
	$(JANSSON_LIBS) $(CURL_LIBS) $(CRYPTO_LIBS) $(SECCOMP_LIBS) \
	$(ENFORCER_BPF_LIBS)

# rtguard-runc: the runtime Docker runs instead of runc (cmd-runtime.c
# explains it). A program of its own, linked with jansson only: it is in
# front of every runc call, and rtguard's libraries cost 5 ms per exec.
bin_PROGRAMS += cli/rtguard-runc
cli_rtguard_runc_SOURCES = cli/rtguard-runc.c
cli_rtguard_runc_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) \
	-DRTGUARD_BINDIR='"$(bindir)"'
cli_rtguard_runc_LDADD = container/libcontainer.a common/libcommon.a \
	$(JANSSON_LIBS)
