# policies/: policy files (format in policies/README.md) and the default
# policy, installed into $(sysconfdir)/rtguard/policies.d; portable
# baselines (policy export/import) and OCI seccomp profiles.
noinst_LIBRARIES += policies/libpolicies.a
policies_libpolicies_a_SOURCES = policies/policy.c policies/policy.h \
	policies/portable.c policies/portable.h \
	policies/seccomp.c policies/seccomp.h
policies_libpolicies_a_CFLAGS = $(AM_CFLAGS) $(PCRE2_CFLAGS) $(AUDIT_CFLAGS) \
	$(JANSSON_CFLAGS) $(SECCOMP_CFLAGS)
policydir = $(rtguard_policydir)
dist_policy_DATA = policies/00-default.conf
EXTRA_DIST += policies/README.md
