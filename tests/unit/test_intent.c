/*
 * test_intent.c: the parser of the /proc/<tid>/syscall line of a thread
 * blocked in an open (enforcer/intent.c), which says whether the open may
 * write. The line is the kernel's, but the syscall and its arguments are
 * chosen by a container process, so besides real lines it gets the
 * unreadable and truncated shapes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "enforcer/intent.h"

static enum open_intent
intent_of(const char *text)
{
	return intent_parse(text, strlen(text));
}

static void
test_openat_write_create_truncate_is_write(void **state)
{
	/* O_WRONLY|O_CREAT|O_TRUNC, as "> file" in a shell */
	assert_int_equal(intent_of("257 0xffffff9c 0x7ffd1234 0x241 0x1b6 0x0 "
	    "0x0 0x7ffd 0x7f"), INTENT_WRITE);
	assert_int_equal(intent_of("257 0xffffff9c 0x7ffd1234 0x2 0x0 0x0 0x0 "
	    "0x7ffd 0x7f"), INTENT_WRITE);			/* O_RDWR */
	assert_int_equal(intent_of("257 0xffffff9c 0x7ffd1234 0x401 0x0 0x0 "
	    "0x0 0x7ffd 0x7f"), INTENT_WRITE);		/* O_WRONLY|O_APPEND */
	/* O_RDONLY with O_TRUNC or O_CREAT still changes the file. */
	assert_int_equal(intent_of("257 0xffffff9c 0x7ffd1234 0x200 0x0 0x0 "
	    "0x0 0x7ffd 0x7f"), INTENT_WRITE);
	assert_int_equal(intent_of("257 0xffffff9c 0x7ffd1234 0x40 0x1a4 0x0 "
	    "0x0 0x7ffd 0x7f"), INTENT_WRITE);
}

static void
test_openat_read_only_is_read(void **state)
{
	assert_int_equal(intent_of("257 0xffffff9c 0x7ffd1234 0x0 0x0 0x0 0x0 "
	    "0x7ffd 0x7f"), INTENT_READ);
	assert_int_equal(intent_of("257 0xffffff9c 0x7ffd1234 0x80000 0x0 0x0 "
	    "0x0 0x7ffd 0x7f"), INTENT_READ);		/* O_CLOEXEC */
	assert_int_equal(intent_of("257 0x3 0x55d0c8a1 0x90800 0x0 0x0 0x0 "
	    "0x7ffd 0x7f"), INTENT_READ);	/* O_DIRECTORY|O_NONBLOCK|.. */
}

static void
test_open_and_creat_read_their_own_arguments(void **state)
{
	/* open(2): flags are the second argument, not the third. */
	assert_int_equal(intent_of("2 0x7ffd1234 0x241 0x1b6 0x0 0x0 0x0 "
	    "0x7ffd 0x7f"), INTENT_WRITE);
	assert_int_equal(intent_of("2 0x7ffd1234 0x0 0x241 0x0 0x0 0x0 "
	    "0x7ffd 0x7f"), INTENT_READ);
	/* creat(2) always writes. */
	assert_int_equal(intent_of("85 0x7ffd1234 0x1a4 0x0 0x0 0x0 0x0 "
	    "0x7ffd 0x7f"), INTENT_WRITE);
}

static void
test_unreadable_syscall_text_is_unknown(void **state)
{
	static const char *unknown[] = {
		/* openat2 keeps its flags in user memory */
		"437 0xffffff9c 0x7ffd1234 0x7ffd2000 0x18 0x0 0x0 0x7ffd 0x7f",
		"running",
		"-1 0x7ffd1234 0x7f12345678",
		"257",
		"257 ",
		"257 0xffffff9c 0x7ffd1234",		/* flags missing */
		"257 zz 0x7ffd1234 0x241 0x1b6",
		"257x 0xffffff9c 0x7ffd1234 0x241 0x1b6",
		"hello world",
		"0 0x3 0x7ffd1234 0x241 0x0 0x0 0x0 0x7ffd 0x7f",	/* read */
		NULL
	};
	char	long_text[400];
	size_t	i;

	for (i = 0; unknown[i] != NULL; i++)
		assert_int_equal(intent_of(unknown[i]), INTENT_UNKNOWN);
	assert_int_equal(intent_parse("", 0), INTENT_UNKNOWN);
	assert_int_equal(intent_parse(NULL, 0), INTENT_UNKNOWN);
	memset(long_text, ' ', sizeof(long_text));
	memcpy(long_text, "257 0x1 0x2 0x0 0x0", 19);
	assert_int_equal(intent_parse(long_text, sizeof(long_text)),
	    INTENT_UNKNOWN);
}

static void
test_intent_stays_within_len(void **state)
{
	static const char text[] =
	    "257 0xffffff9c 0x7ffd1234 0x241 0x1b6 0x0";
	size_t		 fourth = strstr(text, " 0x1b6") - text;

	/* Cut inside the fourth argument: the flags are all there. */
	assert_int_equal(intent_parse(text, fourth + 4), INTENT_WRITE);
	/* Cut before it: too few arguments. */
	assert_int_equal(intent_parse(text, fourth), INTENT_UNKNOWN);
	/* Cut inside the flags, "0x2" of "0x241": still too few. */
	assert_int_equal(intent_parse(text, fourth - 2), INTENT_UNKNOWN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_openat_write_create_truncate_is_write),
		cmocka_unit_test(test_openat_read_only_is_read),
		cmocka_unit_test(test_open_and_creat_read_their_own_arguments),
		cmocka_unit_test(test_unreadable_syscall_text_is_unknown),
		cmocka_unit_test(test_intent_stays_within_len),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
