# bench/: benchmarks, run by hand as root (bench/README.md); shipped in dist,
# never run by `make check`.
dist_noinst_SCRIPTS += \
	bench/run.sh \
	bench/images.sh \
	bench/fapolicyd.sh \
	bench/auditd-window.sh \
	bench/learn.sh \
	bench/report.sh
EXTRA_DIST += bench/README.md docs/PERFORMANCE.md
