# policies/: policy files, portable baselines, seccomp profiles.
noinst_LIBRARIES += policies/libpolicies.a
policies_libpolicies_a_SOURCES = policies/policy.c policies/policy.h
policies_libpolicies_a_CFLAGS = $(AM_CFLAGS) $(PCRE2_CFLAGS) $(JANSSON_CFLAGS)
