/*
 * The names of the udev rule's queue entries, and what an event of each
 * kind of device means to a sync, on configs parsed from text.
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

#include "conf.h"
#include "event.h"
#include "udevsnap.h"
#include "util.h"

static void
test_event_name_parse(void **state _unused_)
{
	static const struct {
		const char *name;
		int r;
		enum event_action a;
		const char *kernel;
	} cases[] = {
		{ "add@3-2", 0, EVENT_ADD, "3-2" },
		{ "bind@3-2.1.4", 0, EVENT_BIND, "3-2.1.4" },
		{ "change@usb3", 0, EVENT_CHANGE, "usb3" },
		{ "remove@255-15.7", 0, EVENT_REMOVE, "255-15.7" },
		{ "add@1000-1", -EINVAL, 0, NULL },     /* more digits than a bus has */
		{ "add@3-", -EINVAL, 0, NULL },
		{ "add@-2", -EINVAL, 0, NULL },
		{ "add@3-2.", -EINVAL, 0, NULL },
		{ "add@3-2..1", -EINVAL, 0, NULL },
		{ "add@3-2/..", -EINVAL, 0, NULL },
		{ "add@usb", -EINVAL, 0, NULL },
		{ "add@usb3x", -EINVAL, 0, NULL },
		{ "add@3-1:1.0", -EINVAL, 0, NULL },    /* an interface */
		{ "add", -EINVAL, 0, NULL },
		{ "@3-2", -EINVAL, 0, NULL },
		{ "adds@3-2", -EINVAL, 0, NULL },
		{ "ad@3-2", -EINVAL, 0, NULL },
		{ "move@3-2", -EINVAL, 0, NULL },
		{ "add@3-2@3-2", -EINVAL, 0, NULL },
		/* Longer than EVENT_NAME_MAX. */
		{ "add@3-1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1", -EINVAL, 0, NULL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		enum event_action a = _EVENT_ACTION_MAX;
		const char *kernel = NULL;

		assert_int_equal(event_name_parse(cases[i].name, &a, &kernel),
		    cases[i].r);
		if (cases[i].r == 0) {
			assert_int_equal(a, cases[i].a);
			assert_string_equal(kernel, cases[i].kernel);
		}
	}
}

static const char config[] =
    "[defaults]\n"
    "usb-ids = 0403:7840\n"
    "[domain \"lab\"]\n"
    "serials = BB1\n"
    "ports = 3-1.4 pci-0000:00:14.0-usb-0:2\n"
    "devices = 0bda:2838 1d50:6089/HACKRF1\n";

static void
test_event_concerns(void **state _unused_)
{
	static const struct {
		const char *what;
		enum event_action a;
		struct usbdev d;
		bool present;
		bool concerns;
	} cases[] = {
		{ "a managed type", EVENT_ADD, { .vendor = 0x0403, .product = 0x7840, .port = "1-1" }, true, true },
		{ "a type rule's", EVENT_BIND, { .vendor = 0x0bda, .product = 0x2838, .port = "1-1" }, true, true },
		{ "a serial rule's type", EVENT_CHANGE, { .vendor = 0x1d50, .product = 0x6089, .port = "1-1" }, true, true },
		{ "at a port, kernel form", EVENT_ADD, { .vendor = 0x1a86, .product = 0x7523, .port = "3-1.4" }, true, true },
		{ "at a port, stable path", EVENT_ADD, { .vendor = 0x1a86, .product = 0x7523, .port = "9-2", .path = "pci-0000:00:14.0-usb-0:2" }, true, true },
		{ "at a port's other half", EVENT_ADD, { .vendor = 0x1a86, .product = 0x7523, .port = "4-1.4", .peer_port = "3-1.4" }, true, true },
		{ "at its other half's path", EVENT_ADD, { .vendor = 0x1a86, .product = 0x7523, .port = "4-2", .peer_path = "pci-0000:00:14.0-usb-0:2" }, true, true },
		/* Its ports' other halves may have just been linked. */
		{ "a hub, with port rules", EVENT_ADD, { .vendor = 0x05e3, .product = 0x0610, .class = USB_CLASS_HUB, .port = "3-1" }, true, true },
		{ "a root hub", EVENT_CHANGE, { .vendor = 0x1d6b, .product = 0x0002, .class = USB_CLASS_HUB, .port = "usb3" }, true, true },
		{ "a type rule's, at no port", EVENT_ADD, { .vendor = 0x0bda, .product = 0x2838, .port = "5-1" }, true, true },
		{ "unmanaged, elsewhere", EVENT_ADD, { .vendor = 0x1a86, .product = 0x7523, .port = "3-1.3", .path = "pci-0000:00:14.0-usb-0:1.3" }, true, false },
		{ "a near port", EVENT_ADD, { .vendor = 0x1a86, .product = 0x7523, .port = "3-1.40" }, true, false },
		{ "gone", EVENT_REMOVE, { 0 }, false, true },
		{ "an unmanaged one gone", EVENT_REMOVE, { .vendor = 0x1a86, .product = 0x7523, .port = "3-1.3" }, true, true },
		{ "not there", EVENT_ADD, { 0 }, false, true },
	};
	_cleanup_(conf_done) struct conf conf = { 0 };

	assert_int_equal(conf_parse("test.ini", config, strlen(config), &conf), 0);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *why = event_concerns(&conf, cases[i].a,
		    cases[i].present ? &cases[i].d : NULL);

		print_message("%s: %s\n", cases[i].what, why != NULL ? why : "no sync");
		if ((why != NULL) != cases[i].concerns)
			fail_msg("%s: %s", cases[i].what, why != NULL ? why : "(none)");
	}
}

/*
 * A config that assigns nothing (no config at all) still manages the
 * original's BitBabblers; any other device, hubs too, matters only when
 * it goes.
 */
static void
test_event_empty_config(void **state _unused_)
{
	_cleanup_(conf_done) struct conf conf = { 0 };
	const struct usbdev bb = { .vendor = 0x0403, .product = 0x7840, .port = "1-1" };
	const struct usbdev d = { .vendor = 0x1a86, .product = 0x7523, .port = "1-2" };
	const struct usbdev hub = { .vendor = 0x05e3, .product = 0x0610,
		.class = USB_CLASS_HUB, .port = "1-3" };

	assert_int_equal(conf_parse("empty", "", 0, &conf), 0);
	assert_non_null(event_concerns(&conf, EVENT_ADD, &bb));
	assert_null(event_concerns(&conf, EVENT_ADD, &d));
	/* No port rule: a hub is nothing to a sync. */
	assert_null(event_concerns(&conf, EVENT_ADD, &hub));
	assert_non_null(event_concerns(&conf, EVENT_REMOVE, &d));
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_name_parse),
		cmocka_unit_test(test_event_concerns),
		cmocka_unit_test(test_event_empty_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
