# formats/: how rtguard's data is written for other programs: decision
# events and baselines as JSON, portable baseline files (policy export and
# import), OCI seccomp profiles. One public header per format.
noinst_LIBRARIES += formats/libformats.a
formats_libformats_a_SOURCES = \
	formats/baseline-json.c formats/baseline-json.h \
	formats/event-json.c formats/event-json.h \
	formats/portable.c formats/portable.h \
	formats/seccomp.c formats/seccomp.h
formats_libformats_a_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) \
	$(AUDIT_CFLAGS) $(SECCOMP_CFLAGS)
