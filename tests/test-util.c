/*
 * GREEDY_GROW(): every slot it promises is there (ASan sees any write past
 * the end), the terminator slot of strv too, and what was in the array
 * survives each growth; a string table answers NULL out of its range.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util.h"

static void
test_greedy_grow(void **state _unused_)
{
	for (size_t extra = 0; extra <= 2; extra++) {
		_cleanup_free_ unsigned *v = NULL;
		size_t n = 0;

		print_message("extra slots: %zu\n", extra);
		for (; n < 5000; n++) {
			assert_int_equal(GREEDY_GROW_EXTRA(v, n, extra), 0);
			v[n] = n;
			for (size_t k = 1; k <= extra; k++)
				v[n + k] = UINT32_MAX;
		}
		for (size_t i = 0; i < n; i++)
			assert_int_equal(v[i], i);
		/* Fewer in use, then more again: the slots are still there. */
		n = 3;
		for (; n < 100; n++) {
			assert_int_equal(GREEDY_GROW_EXTRA(v, n, extra), 0);
			v[n + extra] = 0;
		}
	}
}

static void
test_greedy_grow_overflow(void **state _unused_)
{
	_cleanup_free_ char *v = NULL;

	assert_int_equal(GREEDY_GROW(v, SIZE_MAX - 1), -ENOMEM);
	assert_int_equal(GREEDY_GROW(v, SIZE_MAX / 2 + 2), -ENOMEM);
	assert_null(v);
}

static void
test_greedy_append(void **state _unused_)
{
	_cleanup_free_ struct { int a; const char *b; } *v = NULL;
	size_t n = 0;

	for (int i = 0; i < 100; i++) {
		print_message("append %d\n", i);
		assert_int_equal(GREEDY_APPEND(v, n,
		    ((__typeof__(*v)){ i, "x" })), 0);
		assert_int_equal(n, (size_t)i + 1);
	}
	for (size_t i = 0; i < n; i++)
		assert_int_equal(v[i].a, (int)i);
}

enum colour { RED, GREEN, _COLOUR_MAX };
static const char *const colour_table[_COLOUR_MAX] = {
	[RED] = "red",
	[GREEN] = "green",
};
const char *colour_to_string(enum colour c);
int colour_from_string(const char *s);
DEFINE_STRING_TABLE_LOOKUP(colour, enum colour)
DEFINE_STRING_TABLE_LOOKUP_FROM_STRING(colour)

static void
test_string_table(void **state _unused_)
{
	assert_string_equal(colour_to_string(RED), "red");
	assert_string_equal(colour_to_string(GREEN), "green");
	assert_null(colour_to_string(_COLOUR_MAX));
	assert_null(colour_to_string((enum colour)-1));
	assert_int_equal(colour_from_string("green"), GREEN);
	assert_int_equal(colour_from_string("blue"), -EINVAL);
	assert_int_equal(colour_from_string(""), -EINVAL);
}

static void
test_strv(void **state _unused_)
{
	_cleanup_(strv_done) struct strv l = { 0 };
	char name[16];

	for (int i = 0; i < 300; i++) {
		(void)snprintf(name, sizeof(name), "s%d", i);
		assert_int_equal(strv_push(&l, name), 0);
		assert_null(l.v[l.n]);
	}
	assert_int_equal(l.n, 300);
	assert_string_equal(l.v[0], "s0");
	assert_string_equal(l.v[299], "s299");
	assert_true(strv_contains(&l, "s150"));
	assert_false(strv_contains(&l, "s300"));
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_greedy_grow),
		cmocka_unit_test(test_greedy_grow_overflow),
		cmocka_unit_test(test_greedy_append),
		cmocka_unit_test(test_string_table),
		cmocka_unit_test(test_strv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
