# store/: the SQLite database and its writer thread.
noinst_LIBRARIES += store/libstore.a
store_libstore_a_SOURCES = \
	store/schema.c \
	store/store-private.h \
	store/store.c store/store.h \
	store/writer.c
store_libstore_a_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS) $(SECCOMP_CFLAGS)
