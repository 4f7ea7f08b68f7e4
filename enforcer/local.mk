# enforcer/: enforcement mode (fanotify permission events -> decisions,
# read-only and noexec mounts in the container's namespace).
noinst_LIBRARIES += enforcer/libenforcer.a
enforcer_libenforcer_a_SOURCES = \
	enforcer/enforcer.c enforcer/enforcer.h enforcer/internal.h \
	enforcer/alerts.c \
	enforcer/answer.c \
	enforcer/attach.c \
	enforcer/decide.c enforcer/decide.h \
	enforcer/harden.c enforcer/harden.h \
	enforcer/intent.c enforcer/intent.h \
	enforcer/procinfo.c enforcer/procinfo.h
enforcer_libenforcer_a_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(JANSSON_CFLAGS) $(PCRE2_CFLAGS)

# The observer of kernel refusals (observe.h). observe-table.c is pure
# (unit tests); observe-none.c stands in until the BPF half is built.
enforcer_libenforcer_a_SOURCES += \
	enforcer/observe.h enforcer/observe-abi.h enforcer/observe-table.c \
	enforcer/observe-none.c
