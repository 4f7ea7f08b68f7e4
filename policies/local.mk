# policies/: policy files (format in policies/README.md), their parser, and
# the default policy, installed into $(sysconfdir)/rtguard/policies.d.
noinst_LIBRARIES += policies/libpolicies.a
policies_libpolicies_a_SOURCES = policies/policy.c policies/policy.h
policies_libpolicies_a_CFLAGS = $(AM_CFLAGS) $(PCRE2_CFLAGS)
policydir = $(rtguard_policydir)
dist_policy_DATA = policies/00-default.conf
EXTRA_DIST += policies/README.md
