# tests/fuzz/: libFuzzer targets for the parsers of hostile input, one per
# parser, each with a seed corpus in tests/fuzz/corpus/<target>/. They need
# clang's -fsanitize=fuzzer, so make does not build them (gcc has none):
# scripts/run-fuzz.sh builds and runs them. New targets are added here by
# the owner of the parser they fuzz.
EXTRA_DIST += \
	tests/fuzz/fuzz_auditrec.c \
	tests/fuzz/fuzz_cgroup.c \
	tests/fuzz/fuzz_engine_json.c \
	tests/fuzz/fuzz_escape.c \
	tests/fuzz/fuzz_imageref.c \
	tests/fuzz/fuzz_intent.c \
	tests/fuzz/fuzz_policy.c \
	tests/fuzz/fuzz_portable.c \
	tests/fuzz/corpus
# The runner lives with the other scripts but belongs to this module.
dist_noinst_SCRIPTS += scripts/run-fuzz.sh
