/*
 * Host identity: which hostname a libvirt connection reports counts as
 * this host. libvirt reports the canonical name, gethostname() often the
 * short one; two qualified names must match whole.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "util.h"
#include "virtconn.h"

static void
test_same_host(void **state _unused_)
{
	static const struct { const char *host, *me; bool same; } cases[] = {
		{ "vm", "vm", true },
		{ "VM", "vm", true },
		{ "vm.example.org", "vm", true },
		{ "vm", "vm.example.org", true },
		{ "vm.example.org", "vm.example.org", true },
		{ "vm.example.org", "vm.example.net", false },
		{ "vm2", "vm", false },
		{ "vm", "vm2.example.org", false },
		{ "other", "elsewhere.example", false },
		{ ".", "", false },
		{ "", "", true },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		print_message("host '%s', this host '%s'\n", cases[i].host,
		    cases[i].me);
		assert_int_equal(virtconn_same_host(cases[i].host, cases[i].me),
		    cases[i].same);
	}
}

/* The test suite's stand-in for this host's name, and the real one. */
static void
test_this_host(void **state _unused_)
{
	char *name = NULL;

	assert_int_equal(setenv("BBVIRT_TEST_THIS_HOST", "stand-in", 1), 0);
	assert_int_equal(virtconn_this_host(&name), 0);
	assert_string_equal(name, "stand-in");
	free(name);
	assert_int_equal(unsetenv("BBVIRT_TEST_THIS_HOST"), 0);
	assert_int_equal(virtconn_this_host(&name), 0);
	assert_non_null(name);
	assert_true(name[0] != '\0');
	free(name);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_host),
		cmocka_unit_test(test_this_host),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
