# report/: `rtguard report`, terminal and JSON views of the store.
noinst_LIBRARIES += report/libreport.a
report_libreport_a_SOURCES = report/report.c report/report.h
report_libreport_a_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
