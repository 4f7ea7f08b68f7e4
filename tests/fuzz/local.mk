# tests/fuzz/: libFuzzer targets for the parsers of hostile input, one per
# parser, each with a seed corpus in tests/fuzz/corpus/<target>/. They need
# clang's -fsanitize=fuzzer, so they are built only in a tree configured
# with --enable-fuzzing CC=clang (`make fuzz` builds just them);
# scripts/run-fuzz.sh configures one, builds and runs them. New targets are
# added here by the owner of the parser they fuzz, linked against that
# module's library.
FUZZ_TARGETS = \
	tests/fuzz/fuzz_auditrec \
	tests/fuzz/fuzz_cgroup \
	tests/fuzz/fuzz_engine_json \
	tests/fuzz/fuzz_escape \
	tests/fuzz/fuzz_imageref \
	tests/fuzz/fuzz_intent \
	tests/fuzz/fuzz_policy \
	tests/fuzz/fuzz_portable
if ENABLE_FUZZING
noinst_PROGRAMS += $(FUZZ_TARGETS)
FUZZ_CFLAGS = $(AM_CFLAGS) $(PCRE2_CFLAGS) $(JANSSON_CFLAGS) \
	$(CURL_CFLAGS) $(LIBEVENT_CFLAGS) $(SQLITE_CFLAGS)
# Per-target LDFLAGS replace AM_LDFLAGS: keep the sanitizers.
FUZZ_LINK = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
FUZZ_CONTAINER_LIBS = container/libcontainer.a common/libcommon.a \
	$(PCRE2_LIBS) $(JANSSON_LIBS) $(CURL_LIBS) $(LIBEVENT_LIBS)

tests_fuzz_fuzz_auditrec_SOURCES = tests/fuzz/fuzz_auditrec.c
tests_fuzz_fuzz_auditrec_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_auditrec_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_auditrec_LDADD = learner/liblearner.a common/libcommon.a

tests_fuzz_fuzz_cgroup_SOURCES = tests/fuzz/fuzz_cgroup.c
tests_fuzz_fuzz_cgroup_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_cgroup_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_cgroup_LDADD = $(FUZZ_CONTAINER_LIBS)

tests_fuzz_fuzz_engine_json_SOURCES = tests/fuzz/fuzz_engine_json.c
tests_fuzz_fuzz_engine_json_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_engine_json_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_engine_json_LDADD = $(FUZZ_CONTAINER_LIBS)

tests_fuzz_fuzz_escape_SOURCES = tests/fuzz/fuzz_escape.c
tests_fuzz_fuzz_escape_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_escape_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_escape_LDADD = common/libcommon.a

tests_fuzz_fuzz_imageref_SOURCES = tests/fuzz/fuzz_imageref.c
tests_fuzz_fuzz_imageref_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_imageref_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_imageref_LDADD = common/libcommon.a

tests_fuzz_fuzz_intent_SOURCES = tests/fuzz/fuzz_intent.c
tests_fuzz_fuzz_intent_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_intent_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_intent_LDADD = enforcer/libenforcer.a common/libcommon.a

tests_fuzz_fuzz_policy_SOURCES = tests/fuzz/fuzz_policy.c
tests_fuzz_fuzz_policy_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_policy_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_policy_LDADD = policies/libpolicies.a common/libcommon.a \
	$(PCRE2_LIBS)

tests_fuzz_fuzz_portable_SOURCES = tests/fuzz/fuzz_portable.c
tests_fuzz_fuzz_portable_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_portable_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_portable_LDADD = formats/libformats.a store/libstore.a \
	common/libcommon.a $(JANSSON_LIBS) $(SECCOMP_LIBS) $(AUDIT_LIBS) \
	$(SQLITE_LIBS) $(CRYPTO_LIBS)

fuzz: $(FUZZ_TARGETS)
else
fuzz:
	@echo "make fuzz: the libFuzzer targets need a build configured with" \
	    "--enable-fuzzing CC=clang (scripts/run-fuzz.sh makes one)" >&2
	@exit 1
endif
.PHONY: fuzz
EXTRA_DIST += $(FUZZ_TARGETS:=.c) tests/fuzz/corpus
# The runner lives with the other scripts but belongs to this module.
dist_noinst_SCRIPTS += scripts/run-fuzz.sh
