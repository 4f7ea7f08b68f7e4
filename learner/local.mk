# learner/: learning mode (audit + fanotify notifications -> baselines).
noinst_LIBRARIES += learner/liblearner.a
learner_liblearner_a_SOURCES = \
	learner/auditrec.c learner/auditrec.h \
	learner/learner.c learner/learner.h
learner_liblearner_a_CFLAGS = $(AM_CFLAGS) $(AUDIT_CFLAGS) $(LIBEVENT_CFLAGS)
