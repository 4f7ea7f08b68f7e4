# common/: logging, allocation, errors, escaping, image references,
# hashing, time.
noinst_LIBRARIES += common/libcommon.a
common_libcommon_a_SOURCES = \
	common/cleanup.h \
	common/error.c common/error.h \
	common/escape.c common/escape.h \
	common/hash.h \
	common/imageref.c common/imageref.h \
	common/json.c common/json.h \
	common/log.c common/log.h \
	common/runpath.c common/runpath.h \
	common/sha256.c common/sha256.h \
	common/syscallname.c common/syscallname.h \
	common/timefmt.c common/timefmt.h \
	common/xmalloc.c common/xmalloc.h
common_libcommon_a_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS) $(JANSSON_CFLAGS) \
	$(SECCOMP_CFLAGS)
