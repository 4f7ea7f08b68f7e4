# daemon/: the loop, signals, store writer, tracker, OCI hook listener and
# per-container fanotify group that learn and enforce share.
noinst_LIBRARIES += daemon/libdaemon.a
daemon_libdaemon_a_SOURCES = \
	daemon/daemon.c daemon/daemon.h \
	daemon/fangroup.c daemon/fangroup.h
daemon_libdaemon_a_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(SQLITE_CFLAGS)
