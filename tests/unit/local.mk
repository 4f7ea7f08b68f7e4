# tests/unit/: cmocka tests of pure functions, one program per module.
# Each module adds its test program here; the shared flags are below.
# cmocka is optional at configure time: without it `make check` stops at
# once and names the package to install.
if HAVE_CMOCKA
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
	$(UNIT_LIBS) $(SQLITE_LIBS) $(SECCOMP_LIBS) $(CRYPTO_LIBS)
TESTS += tests/unit/test_store

check_PROGRAMS += tests/unit/test_container
tests_unit_test_container_SOURCES = tests/unit/test_container.c
tests_unit_test_container_CFLAGS = $(UNIT_CFLAGS) \
	-DSRCDIR='"$(abs_top_srcdir)"'
tests_unit_test_container_LDADD = container/libcontainer.a \
	common/libcommon.a $(UNIT_LIBS) $(PCRE2_LIBS) $(JANSSON_LIBS) \
	$(CURL_LIBS) $(LIBEVENT_LIBS)
TESTS += tests/unit/test_container

check_PROGRAMS += tests/unit/test_runtime
tests_unit_test_runtime_SOURCES = tests/unit/test_runtime.c
tests_unit_test_runtime_CFLAGS = $(UNIT_CFLAGS) $(JANSSON_CFLAGS) \
	-DSRCDIR='"$(abs_top_srcdir)"'
tests_unit_test_runtime_LDADD = container/libcontainer.a \
	common/libcommon.a $(UNIT_LIBS) $(PCRE2_LIBS) $(JANSSON_LIBS) \
	$(CURL_LIBS) $(LIBEVENT_LIBS)
TESTS += tests/unit/test_runtime

check_PROGRAMS += tests/unit/test_policy
tests_unit_test_policy_SOURCES = tests/unit/test_policy.c
tests_unit_test_policy_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_policy_LDADD = policies/libpolicies.a common/libcommon.a \
	$(UNIT_LIBS) $(PCRE2_LIBS) $(CRYPTO_LIBS)
TESTS += tests/unit/test_policy

check_PROGRAMS += tests/unit/test_formats
tests_unit_test_formats_SOURCES = tests/unit/test_formats.c
tests_unit_test_formats_CFLAGS = $(UNIT_CFLAGS) $(JANSSON_CFLAGS) \
	$(SQLITE_CFLAGS)
tests_unit_test_formats_LDADD = formats/libformats.a store/libstore.a \
	common/libcommon.a $(UNIT_LIBS) $(JANSSON_LIBS) $(SECCOMP_LIBS) \
	$(AUDIT_LIBS) $(SQLITE_LIBS) $(CRYPTO_LIBS)
TESTS += tests/unit/test_formats

check_PROGRAMS += tests/unit/test_learner
tests_unit_test_learner_SOURCES = tests/unit/test_learner.c
tests_unit_test_learner_CFLAGS = $(UNIT_CFLAGS) $(LIBEVENT_CFLAGS)
tests_unit_test_learner_LDADD = learner/liblearner.a enforcer/libenforcer.a \
	daemon/libdaemon.a container/libcontainer.a store/libstore.a \
	common/libcommon.a $(UNIT_LIBS) $(AUDIT_LIBS) $(SECCOMP_LIBS) \
	$(SQLITE_LIBS) $(PCRE2_LIBS) $(JANSSON_LIBS) $(CURL_LIBS) \
	$(LIBEVENT_LIBS) $(CRYPTO_LIBS)
TESTS += tests/unit/test_learner

check_PROGRAMS += tests/unit/test_intent
tests_unit_test_intent_SOURCES = tests/unit/test_intent.c
tests_unit_test_intent_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_intent_LDADD = enforcer/libenforcer.a common/libcommon.a \
	$(UNIT_LIBS)
TESTS += tests/unit/test_intent

check_PROGRAMS += tests/unit/test_decide
tests_unit_test_decide_SOURCES = tests/unit/test_decide.c
tests_unit_test_decide_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_decide_LDADD = enforcer/libenforcer.a policies/libpolicies.a \
	common/libcommon.a $(UNIT_LIBS) $(PCRE2_LIBS)
TESTS += tests/unit/test_decide

check_PROGRAMS += tests/unit/test_harden
tests_unit_test_harden_SOURCES = tests/unit/test_harden.c
tests_unit_test_harden_CFLAGS = $(UNIT_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_harden_LDADD = enforcer/libenforcer.a common/libcommon.a \
	$(JANSSON_LIBS) $(UNIT_LIBS)
TESTS += tests/unit/test_harden

check_PROGRAMS += tests/unit/test_observe
tests_unit_test_observe_SOURCES = tests/unit/test_observe.c
tests_unit_test_observe_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_observe_LDADD = enforcer/libenforcer.a \
	container/libcontainer.a common/libcommon.a $(UNIT_LIBS) \
	$(PCRE2_LIBS)
TESTS += tests/unit/test_observe
else
# Built before any test runs, so the failure comes first and alone.
check_SCRIPTS += tests/unit/cmocka-missing
tests/unit/cmocka-missing:
	@echo "make check: the unit tests need cmocka, which configure did not find:" >&2
	@echo "make check: install the Debian package libcmocka-dev (apt-get install libcmocka-dev), then run configure again" >&2
	@exit 1
endif
EXTRA_DIST += tests/unit/data/podman-inspect.json \
	tests/unit/data/podman-events.jsonl \
	tests/unit/data/docker-config.json \
	tests/unit/data/docker-config.v2.json
