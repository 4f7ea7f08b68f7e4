# enforcer/: enforcement mode (fanotify permission events -> decisions).
noinst_LIBRARIES += enforcer/libenforcer.a
enforcer_libenforcer_a_SOURCES = \
	enforcer/enforcer.c enforcer/enforcer.h \
	enforcer/intent.c enforcer/intent.h \
	enforcer/lockdirs.c enforcer/lockdirs.h
enforcer_libenforcer_a_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(JANSSON_CFLAGS) $(PCRE2_CFLAGS)
