# tests/unit/: cmocka tests of pure functions, one program per module.
# Each module adds its test program here; the shared flags are below.
UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
UNIT_LIBS = $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_common
tests_unit_test_common_SOURCES = tests/unit/test_common.c
tests_unit_test_common_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_common_LDADD = common/libcommon.a $(UNIT_LIBS) $(CRYPTO_LIBS)
TESTS += tests/unit/test_common

check_PROGRAMS += tests/unit/test_store
tests_unit_test_store_SOURCES = tests/unit/test_store.c
tests_unit_test_store_CFLAGS = $(UNIT_CFLAGS) $(SQLITE_CFLAGS)
tests_unit_test_store_LDADD = store/libstore.a common/libcommon.a \
	$(UNIT_LIBS) $(SQLITE_LIBS) $(CRYPTO_LIBS) -lpthread
TESTS += tests/unit/test_store

check_PROGRAMS += tests/unit/test_container
tests_unit_test_container_SOURCES = tests/unit/test_container.c
tests_unit_test_container_CFLAGS = $(UNIT_CFLAGS) \
	-DSRCDIR='"$(abs_top_srcdir)"'
tests_unit_test_container_LDADD = container/libcontainer.a \
	common/libcommon.a $(UNIT_LIBS) $(PCRE2_LIBS) $(JANSSON_LIBS) \
	$(CURL_LIBS) $(LIBEVENT_LIBS) -lpthread
TESTS += tests/unit/test_container
EXTRA_DIST += tests/unit/data/podman-inspect.json \
	tests/unit/data/podman-events.jsonl

check_PROGRAMS += tests/unit/test_policy
tests_unit_test_policy_SOURCES = tests/unit/test_policy.c
tests_unit_test_policy_CFLAGS = $(UNIT_CFLAGS) $(JANSSON_CFLAGS) \
	$(SQLITE_CFLAGS)
tests_unit_test_policy_LDADD = policies/libpolicies.a \
	container/libcontainer.a store/libstore.a common/libcommon.a \
	$(UNIT_LIBS) $(PCRE2_LIBS) $(JANSSON_LIBS) $(SECCOMP_LIBS) $(AUDIT_LIBS) \
	$(SQLITE_LIBS) $(CURL_LIBS) $(LIBEVENT_LIBS) $(CRYPTO_LIBS) -lpthread
TESTS += tests/unit/test_policy

check_PROGRAMS += tests/unit/test_learner
tests_unit_test_learner_SOURCES = tests/unit/test_learner.c
tests_unit_test_learner_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_learner_LDADD = learner/liblearner.a enforcer/libenforcer.a \
	common/libcommon.a $(UNIT_LIBS)
TESTS += tests/unit/test_learner

check_PROGRAMS += tests/unit/test_observe
tests_unit_test_observe_SOURCES = tests/unit/test_observe.c
tests_unit_test_observe_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_observe_LDADD = enforcer/libenforcer.a \
	container/libcontainer.a common/libcommon.a $(UNIT_LIBS) \
	$(PCRE2_LIBS) -lpthread
TESTS += tests/unit/test_observe
