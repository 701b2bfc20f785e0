/*
 * A DEVICE argument as the original bbvirt took it: a serial, BUS:DEV or
 * BUS-PORT[.PORT...], and every way such a string can be wrong.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "devspec.h"
#include "util.h"

#define TEN "0123456789"
#define S120 TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN

static void
test_devspec_parse(void **state _unused_)
{
	static const struct {
		const char *in;
		int r;
		enum devspec_kind kind;
		unsigned bus;
		unsigned dev;
		const char *text;
	} cases[] = {
		/* Serials: anything that is not address-shaped. */
		{ "AB12", 0, DEVSPEC_SERIAL, 0, 0, "AB12" },
		{ "GK9VZF", 0, DEVSPEC_SERIAL, 0, 0, "GK9VZF" },
		{ "12345", 0, DEVSPEC_SERIAL, 0, 0, "12345" },
		{ "3.1", 0, DEVSPEC_SERIAL, 0, 0, "3.1" },
		{ "3:7a", 0, DEVSPEC_SERIAL, 0, 0, "3:7a" },
		{ "x3-2", 0, DEVSPEC_SERIAL, 0, 0, "x3-2" },
		{ "<&'\">", 0, DEVSPEC_SERIAL, 0, 0, "<&'\">" },
		{ S120 "abcdef", 0, DEVSPEC_SERIAL, 0, 0, S120 "abcdef" },
		{ "", -EINVAL, 0, 0, 0, NULL },
		{ "a b", -EINVAL, 0, 0, 0, NULL },
		{ " 3:7", -EINVAL, 0, 0, 0, NULL },
		{ "3:7 ", -EINVAL, 0, 0, 0, NULL },
		{ "a\tb", -EINVAL, 0, 0, 0, NULL },
		{ "caf\xc3\xa9", -EINVAL, 0, 0, 0, NULL },
		{ S120 "abcdefg", -EINVAL, 0, 0, 0, NULL },
		/* BUS:DEV, the logical address. */
		{ "3:7", 0, DEVSPEC_ADDRESS, 3, 7, "3:7" },
		{ "003:007", 0, DEVSPEC_ADDRESS, 3, 7, "3:7" },
		{ "1:1", 0, DEVSPEC_ADDRESS, 1, 1, "1:1" },
		{ "255:127", 0, DEVSPEC_ADDRESS, 255, 127, "255:127" },
		{ "0000000000000000000000000000003:7", 0, DEVSPEC_ADDRESS, 3, 7,
		  "3:7" },
		{ "3:", -EINVAL, 0, 0, 0, NULL },
		{ ":7", -EINVAL, 0, 0, 0, NULL },
		{ ":", -EINVAL, 0, 0, 0, NULL },
		{ "-1:2", -EINVAL, 0, 0, 0, NULL },
		{ "3:4:5", -EINVAL, 0, 0, 0, NULL },
		{ "3::5", -EINVAL, 0, 0, 0, NULL },
		{ "3:4.5", -EINVAL, 0, 0, 0, NULL },
		{ "3-1:2", -EINVAL, 0, 0, 0, NULL },
		{ "0:", -EINVAL, 0, 0, 0, NULL },
		{ "99999999999:1", -ERANGE, 0, 0, 0, NULL },
		{ "99999999999999999999999999:1", -ERANGE, 0, 0, 0, NULL },
		{ "3:128", -ERANGE, 0, 0, 0, NULL },
		{ "256:1", -ERANGE, 0, 0, 0, NULL },
		{ "0:1", -ERANGE, 0, 0, 0, NULL },
		{ "1:0", -ERANGE, 0, 0, 0, NULL },
		{ "000:1", -ERANGE, 0, 0, 0, NULL },
		/* BUS-PORT[.PORT...], the physical address, as sysfs has it. */
		{ "3-2", 0, DEVSPEC_PORT, 3, 0, "3-2" },
		{ "5-2.3.1", 0, DEVSPEC_PORT, 5, 0, "5-2.3.1" },
		{ "005-02.003.01", 0, DEVSPEC_PORT, 5, 0, "5-2.3.1" },
		{ "255-255", 0, DEVSPEC_PORT, 255, 0, "255-255" },
		{ "1-1.2.3.4.5.6.7", 0, DEVSPEC_PORT, 1, 0, "1-1.2.3.4.5.6.7" },
		{ "255-255.255.255.255.255.255.255", 0, DEVSPEC_PORT, 255, 0,
		  "255-255.255.255.255.255.255.255" },
		{ "3-", -EINVAL, 0, 0, 0, NULL },
		{ "-2", -EINVAL, 0, 0, 0, NULL },
		{ "-", -EINVAL, 0, 0, 0, NULL },
		{ "3-1..2", -EINVAL, 0, 0, 0, NULL },
		{ "3-1.", -EINVAL, 0, 0, 0, NULL },
		{ "3-.1", -EINVAL, 0, 0, 0, NULL },
		{ "3--1", -EINVAL, 0, 0, 0, NULL },
		{ "3-1-2", -EINVAL, 0, 0, 0, NULL },
		{ "3.1-2", -EINVAL, 0, 0, 0, NULL },
		{ ".3-1", -EINVAL, 0, 0, 0, NULL },
		{ "1-1.2.3.4.5.6.7.", -EINVAL, 0, 0, 0, NULL },
		{ "256-1", -ERANGE, 0, 0, 0, NULL },
		{ "0-1", -ERANGE, 0, 0, 0, NULL },
		{ "3-0", -ERANGE, 0, 0, 0, NULL },
		{ "3-256", -ERANGE, 0, 0, 0, NULL },
		{ "3-1.256", -ERANGE, 0, 0, 0, NULL },
		{ "3-1.99999999999999999999999999", -ERANGE, 0, 0, 0, NULL },
		{ "1-1.2.3.4.5.6.7.8", -ERANGE, 0, 0, 0, NULL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct devspec spec;

		memset(&spec, 0x5a, sizeof(spec));
		print_message("devspec '%s'\n", cases[i].in);
		assert_int_equal(devspec_parse(cases[i].in, &spec),
		    cases[i].r);
		if (cases[i].r < 0) {
			/* Untouched on failure. */
			assert_int_equal(spec.bus, 0x5a5a5a5a);
			continue;
		}
		assert_int_equal(spec.kind, cases[i].kind);
		if (cases[i].kind != DEVSPEC_SERIAL)
			assert_int_equal(spec.bus, cases[i].bus);
		if (cases[i].kind == DEVSPEC_ADDRESS)
			assert_int_equal(spec.dev, cases[i].dev);
		assert_string_equal(spec.text, cases[i].text);
	}
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_devspec_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
