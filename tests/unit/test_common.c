/*
 * test_common.c: escaping, durations and hashing in common/.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/escape.h"
#include "common/sha256.h"
#include "common/timefmt.h"

static void
assert_escapes_to(const char *in, size_t len, const char *want)
{
	char	*got, *back;
	size_t	 blen;

	got = rt_escape(in, len);
	assert_string_equal(got, want);
	assert_true(rt_utf8_valid(got, strlen(got)));
	assert_null(strchr(got, '\n'));
	back = rt_unescape(got, &blen);
	assert_non_null(back);
	assert_int_equal(blen, len);
	assert_memory_equal(back, in, len);
	free(got);
	free(back);
}

static void
test_escape_keeps_plain_and_utf8_paths(void **state)
{
	assert_escapes_to("/usr/bin/nginx", 14, "/usr/bin/nginx");
	assert_escapes_to("/tmp/a b", 8, "/tmp/a b");
	assert_escapes_to("/tmp/\xc3\xa9t\xc3\xa9", 10, "/tmp/\xc3\xa9t\xc3\xa9");
}

static void
test_escape_newline_control_and_backslash_round_trip(void **state)
{
	assert_escapes_to("/tmp/a\nb", 8, "/tmp/a\\nb");
	assert_escapes_to("/tmp/\x1b[31m", 10, "/tmp/\\x1b[31m");
	assert_escapes_to("a\\x41", 5, "a\\\\x41");
	assert_escapes_to("\t", 1, "\\t");
}

static void
test_escape_invalid_utf8_becomes_hex(void **state)
{
	assert_escapes_to("/tmp/\xff\xfe", 7, "/tmp/\\xff\\xfe");
	/* overlong '/' and a lone continuation byte */
	assert_escapes_to("\xc0\xaf", 2, "\\xc0\\xaf");
	assert_escapes_to("\x80", 1, "\\x80");
	/* UTF-16 surrogate encoded in UTF-8 is invalid */
	assert_escapes_to("\xed\xa0\x80", 3, "\\xed\\xa0\\x80");
	/* truncated sequence at the end */
	assert_escapes_to("ab\xe2\x82", 4, "ab\\xe2\\x82");
}

static void
test_unescape_rejects_malformed(void **state)
{
	size_t	len;

	assert_null(rt_unescape("abc\\", &len));
	assert_null(rt_unescape("\\q", &len));
	assert_null(rt_unescape("\\x4", &len));
	assert_null(rt_unescape("\\xzz", &len));
}

static void
test_duration_parse_units_and_errors(void **state)
{
	struct rt_error	err;
	int64_t		s;

	assert_int_equal(duration_parse("90", &s, &err), 0);
	assert_int_equal(s, 90);
	assert_int_equal(duration_parse("15m", &s, &err), 0);
	assert_int_equal(s, 900);
	assert_int_equal(duration_parse("2h", &s, &err), 0);
	assert_int_equal(s, 7200);
	assert_int_equal(duration_parse("7d", &s, &err), 0);
	assert_int_equal(s, 604800);
	assert_true(duration_parse("", &s, &err) < 0);
	assert_true(duration_parse("-3", &s, &err) < 0);
	assert_true(duration_parse("5x", &s, &err) < 0);
	assert_non_null(strstr(err.msg, "unknown unit"));
	assert_true(duration_parse("5mm", &s, &err) < 0);
}

static void
test_sha256_of_fd_matches_known_vector(void **state)
{
	char		hex[65], path[] = "/tmp/rtguard-test-sha-XXXXXX";
	struct rt_error	err;
	int		fd;

	sha256_buf("abc", 3, hex);
	assert_string_equal(hex,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, "abc", 3), 3);
	/* the offset is at the end: sha256_fd must not depend on it */
	assert_int_equal(sha256_fd(fd, hex, &err), 0);
	assert_string_equal(hex,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	close(fd);
}

/* The cache answers for an unchanged file, and rehashes a rewritten one. */
static void
test_sha256_cache_follows_changes(void **state)
{
	static struct sha256_cache	cache;
	char				hex[65], path[] = "/tmp/rtguard-test-shc-XXXXXX";
	struct rt_error			err;
	struct timespec			later = { 0, 20 * 1000 * 1000 };
	int				fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, "abc", 3), 3);
	assert_int_equal(sha256_fd_cached(&cache, fd, hex, &err), 0);
	assert_string_equal(hex,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(sha256_fd_cached(&cache, fd, hex, &err), 0);
	assert_string_equal(hex,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	/* Same size, new content: the change time moves, the hash follows. */
	nanosleep(&later, NULL);
	assert_int_equal(pwrite(fd, "abd", 3, 0), 3);
	assert_int_equal(sha256_fd_cached(&cache, fd, hex, &err), 0);
	assert_string_not_equal(hex,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	close(fd);
	assert_true(sha256_fd_cached(&cache, fd, hex, &err) < 0);
}

static void
test_rfc3339_is_utc_with_millis(void **state)
{
	char	buf[40];

	time_rfc3339(1700000000123LL, buf, sizeof(buf));
	assert_string_equal(buf, "2023-11-14T22:13:20.123Z");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_keeps_plain_and_utf8_paths),
		cmocka_unit_test(test_escape_newline_control_and_backslash_round_trip),
		cmocka_unit_test(test_escape_invalid_utf8_becomes_hex),
		cmocka_unit_test(test_unescape_rejects_malformed),
		cmocka_unit_test(test_duration_parse_units_and_errors),
		cmocka_unit_test(test_sha256_of_fd_matches_known_vector),
		cmocka_unit_test(test_sha256_cache_follows_changes),
		cmocka_unit_test(test_rfc3339_is_utc_with_millis),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
