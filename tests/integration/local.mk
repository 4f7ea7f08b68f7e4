# tests/integration/: bash tests that run the real rtguard binary against
# real audit, fanotify and Podman containers (root). Exit 77 means skipped.
TEST_EXTENSIONS = .sh
SH_LOG_COMPILER = bash
AM_TESTS_ENVIRONMENT = \
	top_srcdir='$(abs_top_srcdir)'; export top_srcdir; \
	top_builddir='$(abs_top_builddir)'; export top_builddir; \
	RTGUARD='$(abs_top_builddir)/cli/rtguard'; export RTGUARD;
EXTRA_DIST += tests/integration/lib.sh tests/integration/valgrind.supp
INTEGRATION_TESTS = \
	tests/integration/cli.sh \
	tests/integration/resolver.sh \
	tests/integration/engine.sh \
	tests/integration/engine-stall.sh \
	tests/integration/learn.sh \
	tests/integration/learn-start.sh \
	tests/integration/seccomp.sh \
	tests/integration/readiness.sh \
	tests/integration/learn-auditd.sh \
	tests/integration/learn-docker.sh \
	tests/integration/demo.sh \
	tests/integration/enforce.sh \
	tests/integration/enforce-routes.sh \
	tests/integration/enforce-hook.sh \
	tests/integration/enforce-docker.sh \
	tests/integration/enforce-operator.sh \
	tests/integration/enforce-records.sh \
	tests/integration/policy.sh \
	tests/integration/reliability.sh \
	tests/integration/overload.sh \
	tests/integration/valgrind.sh
TESTS += $(INTEGRATION_TESTS)
EXTRA_DIST += $(INTEGRATION_TESTS)

# observe.sh drives the BPF observer through a small probe program.
if RT_BPF
check_PROGRAMS += tests/integration/observe-probe
tests_integration_observe_probe_SOURCES = tests/integration/observe-probe.c
tests_integration_observe_probe_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS)
tests_integration_observe_probe_LDADD = enforcer/libenforcer.a \
	container/libcontainer.a common/libcommon.a $(ENFORCER_BPF_LIBS) \
	$(LIBEVENT_LIBS) $(PCRE2_LIBS) $(CRYPTO_LIBS) $(JANSSON_LIBS) -lpthread
endif
EXTRA_DIST += tests/integration/observe-probe.c
TESTS += tests/integration/observe.sh
EXTRA_DIST += tests/integration/observe.sh
