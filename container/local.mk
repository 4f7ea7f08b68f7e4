# container/: cgroup -> container id, the Engine API client and the
# tracker that follows containers as they start and stop.
noinst_LIBRARIES += container/libcontainer.a
container_libcontainer_a_SOURCES = \
	container/cgroup.c \
	container/container.h \
	container/engine.c \
	container/ocihook.c container/ocihook.h \
	container/overlay.c \
	container/runtime.c container/runtime.h \
	container/tracker.c
container_libcontainer_a_CFLAGS = $(AM_CFLAGS) $(PCRE2_CFLAGS) \
	$(JANSSON_CFLAGS) $(CURL_CFLAGS) $(LIBEVENT_CFLAGS)
