/*
 * The user alias that carries a serial: exact encodings, round trips of
 * hostile serials, and how every other alias is classified.
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

#include "alias.h"
#include "util.h"

#define TEN "0123456789"
#define S120 TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN
#define PRINTABLE "!\"#$%&'()*+,-./0123456789:;<=>?@" \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"

static void
test_alias_encode(void **state _unused_)
{
	static const struct {
		const char *serial;
		bool manual;
		int r;
		const char *alias;
	} cases[] = {
		{ "AB12", false, 0, "ua-bbvirt-AB12" },
		{ "AB12", true, 0, "ua-bbmanual-AB12" },
		{ "AB-12", false, 0, "ua-bbvirt-AB-2d12" },
		{ "a_b", false, 0, "ua-bbvirt-a_b" },
		{ "a.b:c/d", false, 0, "ua-bbvirt-a-2eb-3ac-2fd" },
		{ "<&'\">", true, 0, "ua-bbmanual--3c-26-27-22-3e" },
		{ "~", false, 0, "ua-bbvirt--7e" },
		{ "-", false, 0, "ua-bbvirt--2d" },
		{ S120 "abcdef", false, 0, "ua-bbvirt-" S120 "abcdef" },
		{ "", false, -EINVAL, NULL },
		{ "a b", false, -EINVAL, NULL },
		{ "a\tb", false, -EINVAL, NULL },
		{ "a\nb", true, -EINVAL, NULL },
		{ "\x7f", false, -EINVAL, NULL },
		{ "caf\xc3\xa9", false, -EINVAL, NULL },
		{ S120 "abcdefg", false, -EINVAL, NULL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *sentinel = (char *)(uintptr_t)1;
		char *a = sentinel;
		char buf[VISIBLE_BUF];

		print_message("encode '%s' manual=%d\n",
		    str_visible(cases[i].serial, strlen(cases[i].serial), buf,
		    sizeof(buf)), cases[i].manual);
		assert_int_equal(alias_encode(cases[i].serial, cases[i].manual,
		    &a), cases[i].r);
		if (cases[i].r < 0) {
			assert_ptr_equal(a, sentinel);
			continue;
		}
		assert_string_equal(a, cases[i].alias);
		free(a);
	}
}

/* Everything in the alias is what libvirt keeps in a user alias. */
static bool
libvirt_ok(const char *a)
{
	return a[strspn(a, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")] == '\0';
}

static void
test_alias_round_trip(void **state _unused_)
{
	static const char *const cases[] = {
		"AB12", "GK9VZF", "x", "_", "-", ".", ":", "/", "'", "<", "&",
		"\"", ">", "\\", "%", "AB-12", "AB-2d12", "ua-bbvirt-X",
		"ua-bbmanual-X", "--2d", "0", "007", S120 "abcdef",
		S120 "-----.", PRINTABLE, PRINTABLE TEN TEN TEN "ab",
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		for (int manual = 0; manual <= 1; manual++) {
			_cleanup_free_ char *a = NULL;
			_cleanup_free_ char *serial = NULL;

			print_message("round trip '%s' manual=%d\n", cases[i],
			    manual);
			assert_int_equal(alias_encode(cases[i], manual, &a), 0);
			assert_true(libvirt_ok(a));
			assert_true(strlen(a) < ALIAS_MAX);
			assert_int_equal(alias_decode(a, &serial),
			    manual ? ALIAS_MANUAL : ALIAS_OURS);
			assert_string_equal(serial, cases[i]);
		}
	}
}

static void
test_alias_decode(void **state _unused_)
{
	static const struct {
		const char *alias;
		int kind;
		const char *serial;
	} cases[] = {
		{ NULL, ALIAS_NONE, NULL },
		{ "", ALIAS_NONE, NULL },
		{ "hostdev0", ALIAS_NONE, NULL },
		{ "usb", ALIAS_NONE, NULL },
		{ "ua", ALIAS_NONE, NULL },
		{ "UA-bbvirt-AB12", ALIAS_NONE, NULL },
		{ "ua-", ALIAS_FOREIGN, NULL },
		{ "ua-other", ALIAS_FOREIGN, NULL },
		{ "ua-bbvirt", ALIAS_FOREIGN, NULL },
		{ "ua-bbvirtAB12", ALIAS_FOREIGN, NULL },
		{ "ua-bbvirt_AB12", ALIAS_FOREIGN, NULL },
		{ "ua-bbvirt2-AB12", ALIAS_FOREIGN, NULL },
		{ "ua-bbmanual", ALIAS_FOREIGN, NULL },
		{ "ua-bbvirt-", ALIAS_FOREIGN, NULL },
		{ "ua-bbmanual-", ALIAS_FOREIGN, NULL },
		{ "ua-bbvirt-AB12", ALIAS_OURS, "AB12" },
		{ "ua-bbvirt-AB-2d12", ALIAS_OURS, "AB-12" },
		{ "ua-bbvirt--2d", ALIAS_OURS, "-" },
		{ "ua-bbvirt--7e", ALIAS_OURS, "~" },
		{ "ua-bbmanual-X", ALIAS_MANUAL, "X" },
		{ "ua-bbmanual-ua-2dbbvirt-2dX", ALIAS_MANUAL, "ua-bbvirt-X" },
		{ "ua-bbvirt-" S120 "abcdef", ALIAS_OURS, S120 "abcdef" },
		/* Uppercase hex, or hex for a character that needs none. */
		{ "ua-bbvirt-AB-2D12", ALIAS_FOREIGN, NULL },
		{ "ua-bbvirt-AB-41", ALIAS_FOREIGN, NULL },
		{ "ua-bbvirt--5f", ALIAS_FOREIGN, NULL },
		{ "ua-bbvirt--30", ALIAS_FOREIGN, NULL },
		/* Cut or bad escapes. */
		{ "ua-bbvirt-A-", ALIAS_FOREIGN, NULL },
		{ "ua-bbvirt-A-2", ALIAS_FOREIGN, NULL },
		{ "ua-bbvirt-A-2g", ALIAS_FOREIGN, NULL },
		{ "ua-bbvirt-A--", ALIAS_FOREIGN, NULL },
		{ "ua-bbvirt-A-2-", ALIAS_FOREIGN, NULL },
		/* Escapes of what no serial holds. */
		{ "ua-bbvirt--00", ALIAS_FOREIGN, NULL },
		{ "ua-bbvirt-a-20b", ALIAS_FOREIGN, NULL },
		{ "ua-bbvirt-a-0ab", ALIAS_FOREIGN, NULL },
		{ "ua-bbvirt--7f", ALIAS_FOREIGN, NULL },
		{ "ua-bbvirt-caf-c3-a9", ALIAS_FOREIGN, NULL },
		{ "ua-bbvirt-ua-bbvirt-X", ALIAS_FOREIGN, NULL },
		/* Characters the encoder never writes raw. */
		{ "ua-bbvirt-a.b", ALIAS_FOREIGN, NULL },
		{ "ua-bbvirt-a b", ALIAS_FOREIGN, NULL },
		{ "ua-bbmanual-<x>", ALIAS_FOREIGN, NULL },
		/* One character too long once decoded. */
		{ "ua-bbvirt-" S120 "abcdefg", ALIAS_FOREIGN, NULL },
		/* Port and type rules: the port as configured; type, then kernel port. */
		{ "ua-bbport-3-2d2", ALIAS_PORT, "3-2" },
		{ "ua-bbport-pci-2d0000-3a00-3a14-2e0-2dusb-2d0-3a2", ALIAS_PORT,
		  "pci-0000:00:14.0-usb-0:2" },
		{ "ua-bbport-", ALIAS_FOREIGN, NULL },
		{ "ua-bbport-3-2", ALIAS_FOREIGN, NULL },
		{ "ua-bbtype-1a867523-3-2d1-2e1", ALIAS_TYPE, "1a86:7523@3-1.1" },
		{ "ua-bbtype-1A867523-3-2d1", ALIAS_FOREIGN, NULL },
		{ "ua-bbtype-1a86752-3-2d1", ALIAS_FOREIGN, NULL },
		{ "ua-bbtype-1a867523_3-2d1", ALIAS_FOREIGN, NULL },
		{ "ua-bbtype-1a867523-", ALIAS_FOREIGN, NULL },
		{ "ua-bbtype-", ALIAS_FOREIGN, NULL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *sentinel = (char *)(uintptr_t)1;
		char *serial = sentinel;

		print_message("decode '%s'\n", cases[i].alias != NULL ?
		    cases[i].alias : "(null)");
		assert_int_equal(alias_decode(cases[i].alias, &serial),
		    cases[i].kind);
		if (cases[i].serial == NULL) {
			assert_ptr_equal(serial, sentinel);
			continue;
		}
		assert_string_equal(serial, cases[i].serial);
		free(serial);
	}
}

/* The rules' aliases, built and read back; any printable port stays within libvirt's characters. */
static void
test_alias_rules(void **state _unused_)
{
	static const char *const ports[] = {
		"3-2", "5-2.3", "pci-0000:00:14.0-usb-0:2.3",
		"platform-xhci-hcd.0.auto-usb-0:1", PRINTABLE,
	};

	for (size_t i = 0; i < ARRAY_SIZE(ports); i++) {
		_cleanup_free_ char *a = NULL;
		_cleanup_free_ char *t = NULL;
		_cleanup_free_ char *back = NULL;
		_cleanup_free_ char *tback = NULL;
		_cleanup_free_ char *want = NULL;

		print_message("rule aliases of '%s'\n", ports[i]);
		assert_int_equal(alias_encode_port(ports[i], &a), 0);
		assert_int_equal(alias_encode_type(0x1a86, 0x7523, ports[i], &t), 0);
		assert_int_equal(strspn(a, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"), strlen(a));
		assert_int_equal(strspn(t, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"), strlen(t));
		assert_true(strlen(t) < ALIAS_MAX);
		assert_int_equal(alias_decode(a, &back), ALIAS_PORT);
		assert_string_equal(back, ports[i]);
		assert_int_equal(alias_decode(t, &tback), ALIAS_TYPE);
		assert_true(asprintf(&want, "1a86:7523@%s", ports[i]) > 0);
		assert_string_equal(tback, want);
	}
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alias_encode),
		cmocka_unit_test(test_alias_round_trip),
		cmocka_unit_test(test_alias_decode),
		cmocka_unit_test(test_alias_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
