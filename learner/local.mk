# learner/: learning mode (audit + fanotify notifications -> baselines).
noinst_LIBRARIES += learner/liblearner.a
learner_liblearner_a_SOURCES = \
	learner/audit.c \
	learner/early.c \
	learner/auditrec.c learner/auditrec.h \
	learner/facts.c \
	learner/internal.h \
	learner/learner.c learner/learner.h \
	learner/progress.c \
	learner/records.c \
	learner/rules.c
learner_liblearner_a_CFLAGS = $(AM_CFLAGS) $(AUDIT_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(SECCOMP_CFLAGS)
