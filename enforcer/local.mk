# enforcer/: enforcement mode (fanotify permission events -> decisions,
# read-only and noexec mounts in the container's namespace).
noinst_LIBRARIES += enforcer/libenforcer.a
enforcer_libenforcer_a_SOURCES = \
	enforcer/enforcer.c enforcer/enforcer.h enforcer/internal.h \
	enforcer/alerts.c \
	enforcer/answer.c \
	enforcer/attach.c \
	enforcer/decide.c enforcer/decide.h \
	enforcer/harden.c enforcer/harden.h enforcer/helperwire.c \
	enforcer/mounts.c enforcer/mountjob.c \
	enforcer/intent.c enforcer/intent.h \
	enforcer/procinfo.c enforcer/procinfo.h \
	enforcer/refusals.c
enforcer_libenforcer_a_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(JANSSON_CFLAGS) $(PCRE2_CFLAGS)

# The observer of kernel refusals (observe.h). observe-table.c is pure and
# always built (unit tests); observe.c needs libbpf and the BPF object,
# which is compiled for the kernel and embedded in observe.o by bpftool's
# skeleton (its ELF bytes as a C array): nothing extra is installed.
enforcer_libenforcer_a_SOURCES += \
	enforcer/observe.h enforcer/observe-abi.h enforcer/observe-table.c
EXTRA_DIST += enforcer/observe.bpf.c
if RT_BPF
enforcer_libenforcer_a_SOURCES += enforcer/observe.c \
	enforcer/observe-attach.c enforcer/observe-int.h
enforcer_libenforcer_a_CFLAGS += $(LIBBPF_CFLAGS)
# What a program linking libenforcer.a adds when it calls observe_open.
ENFORCER_BPF_LIBS = $(LIBBPF_LIBS)
enforcer/observe.bpf.o: $(srcdir)/enforcer/observe.bpf.c \
    $(srcdir)/enforcer/observe-abi.h
	$(AM_V_GEN)$(MKDIR_P) enforcer && \
	$(CLANG) -target bpf -O2 -g -Wall $(BPF_CPPFLAGS) $(LIBBPF_CFLAGS) \
	    -I$(top_srcdir) -c $(srcdir)/enforcer/observe.bpf.c -o $@
enforcer/observe.skel.h: enforcer/observe.bpf.o
	$(AM_V_GEN)$(BPFTOOL) gen skeleton enforcer/observe.bpf.o \
	    name observe_bpf >$@.tmp && mv $@.tmp $@
enforcer/libenforcer_a-observe.$(OBJEXT): enforcer/observe.skel.h
enforcer/libenforcer_a-observe-attach.$(OBJEXT): enforcer/observe.skel.h
CLEANFILES += enforcer/observe.bpf.o enforcer/observe.skel.h
else
enforcer_libenforcer_a_SOURCES += enforcer/observe-none.c
ENFORCER_BPF_LIBS =
endif
