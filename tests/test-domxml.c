/*
 * The USB hostdevs of a domain's live XML: each fixture in
 * tests/fixtures/domxml/ and the hostdevs it holds (NAME.hostdevs, one
 * "'ALIAS' BUS:DEV VENDOR:PRODUCT [bus GUESTBUS MODEL]" line each, '-' for
 * what is missing) or the reason it is refused (NAME.err). Then the element bbvirt builds for
 * libvirt, which must read back to what went in.
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

#include "domxml.h"
#include "util.h"

#define DIR "tests/fixtures/domxml/"
/* A literal and its length, NUL bytes inside included. */
#define B(s) s, sizeof(s) - 1

static char *
slurp(const char *path, size_t *ret_len)
{
	char *buf = NULL;
	size_t len = 0;

	assert_int_equal(read_file(path, 1 << 20, &buf, &len), 0);
	if (ret_len != NULL)
		*ret_len = len;
	return buf;
}

static char *
dump(const struct hostdev_list *l)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_non_null(f);
	for (size_t i = 0; i < l->n; i++) {
		const struct hostdev *h = &l->v[i];

		if (h->alias != NULL)
			fprintf(f, "'%s'", h->alias);
		else
			fputs("-", f);
		if (h->has_address)
			fprintf(f, " %u:%u", h->bus, h->dev);
		else
			fputs(" -", f);
		if (h->has_id)
			fprintf(f, " %04x:%04x", h->vendor, h->product);
		else
			fputs(" -", f);
		/* Where the guest has it: its USB bus, and that bus's controller. */
		if (h->has_guest_bus)
			fprintf(f, " bus %u %s", h->guest_bus, h->controller != NULL ?
			    h->controller->name : "-");
		fputs("\n", f);
	}
	assert_int_equal(fclose(f), 0);
	return out;
}

/*
 * Runs domxml_hostdevs(): a result refused holds its reason and nothing
 * else, one read holds no reason.
 */
static int
hostdevs(const char *xml, size_t len, struct hostdev_list *ret)
{
	int r = domxml_hostdevs(xml, len, ret);

	if (r < 0) {
		assert_non_null(ret->error);
		assert_null(ret->v);
		assert_int_equal(ret->n, 0);
	} else
		assert_null(ret->error);
	return r;
}

static void
test_domxml_fixtures(void **state _unused_)
{
	static const struct {
		const char *name;
		int r;
	} cases[] = {
		{ "qemu-live", 0 },
		{ "no-devices", 0 },
		{ "no-hostdevs", 0 },
		{ "odd-values", 0 },
		{ "usb-controllers", 0 },
		{ "malformed", -EINVAL },
		{ "empty", -EINVAL },
		{ "not-xml", -EINVAL },
		{ "not-domain", -EINVAL },
		{ "namespaced-domain", -EINVAL },
		{ "two-roots", -EINVAL },
		{ "xxe-attribute", -EINVAL },
		{ "xxe-content", -EINVAL },
		{ "xxe-parameter", -EINVAL },
		{ "external-dtd", -EINVAL },
		{ "internal-entity", -EINVAL },
		{ "billion-laughs", -EINVAL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_(hostdev_list_done) struct hostdev_list l = { 0 };
		_cleanup_free_ char *xml = NULL;
		_cleanup_free_ char *want = NULL;
		_cleanup_free_ char *got = NULL;
		char path[256];
		size_t len;

		print_message("domxml: %s\n", cases[i].name);
		(void)snprintf(path, sizeof(path), DIR "%s.xml", cases[i].name);
		xml = slurp(path, &len);
		(void)snprintf(path, sizeof(path), DIR "%s.%s", cases[i].name,
		    cases[i].r == 0 ? "hostdevs" : "err");
		want = slurp(path, NULL);
		assert_int_equal(hostdevs(xml, len, &l), cases[i].r);
		if (cases[i].r == 0)
			got = dump(&l);
		else
			assert_true(asprintf(&got, "%s\n", l.error) > 0);
		assert_string_equal(got, want);
	}
}

/* What no fixture file can hold well: lengths and NUL bytes. */
static void
test_domxml_buffers(void **state _unused_)
{
	static const struct {
		const char *name;
		const char *xml;
		size_t len;
		int r;
		const char *out;        /* the dump, or the error */
	} cases[] = {
		{ "nothing", B(""), -EINVAL, "empty document" },
		{ "unterminated buffer", "<domain/>junk", 9, 0, "" },
		{ "cut short", "<domain><devices/></domain>", 18, -EINVAL,
		  "Premature end of data in tag domain line 1" },
		{ "NUL inside", B("<domain>\0</domain>"), -EINVAL,
		  "Premature end of data in tag domain line 1" },
		{ "NUL in an alias", B("<domain><devices><hostdev mode='subsystem' type='usb'><alias name='a\0b'/></hostdev></devices></domain>"),
		  -EINVAL, "Premature end of data in tag hostdev line 1" },
		{ "hostdev", B("<domain><devices><hostdev mode='subsystem' type='usb'><source><address bus='1' device='2'/></source><alias name='a'/></hostdev></devices></domain>"),
		  0, "'a' 1:2 -\n" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_(hostdev_list_done) struct hostdev_list l = { 0 };
		_cleanup_free_ char *got = NULL;

		print_message("buffer: %s\n", cases[i].name);
		assert_int_equal(hostdevs(cases[i].xml, cases[i].len, &l),
		    cases[i].r);
		if (cases[i].r < 0) {
			assert_string_equal(l.error, cases[i].out);
			continue;
		}
		got = dump(&l);
		assert_string_equal(got, cases[i].out);
	}
}

static char *
many_hostdevs(size_t n, size_t *ret_len)
{
	char *xml = NULL;
	FILE *f = open_memstream(&xml, ret_len);

	assert_non_null(f);
	fputs("<domain><devices>", f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "<hostdev mode='subsystem' type='usb'><source><address bus='%zu' device='%zu'/></source><alias name='ua-bbvirt-X%zu'/></hostdev><hostdev mode='subsystem' type='pci'/>",
		    i / 128 + 1, i % 128, i);
	fputs("</devices></domain>", f);
	assert_int_equal(fclose(f), 0);
	return xml;
}

/* Which devices a controller slows: 480 Mb/s or more on a USB 1.1 one. */
static void
test_domxml_usb_models(void **state _unused_)
{
	static const struct {
		const char *model;
		double mbps;
		bool slows;
	} cases[] = {
		{ "piix3-uhci", 480, true }, { "piix3-uhci", 5000, true },
		{ "piix3-uhci", 12, false }, { "piix3-uhci", 1.5, false },
		{ "piix3-uhci", 0, false }, { "pci-ohci", 480, true },
		{ "ich9-uhci3", 10000, true }, { "vt82c686b-uhci", 480, true },
		{ "ehci", 480, false }, { "ich9-ehci1", 5000, false },
		{ "qemu-xhci", 480, false }, { "nec-xhci", 20000, false },
		{ "vendor-turbo-xhci", 480, false }, { NULL, 480, false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct usb_model *m = usb_model_lookup(cases[i].model);

		print_message("usb model %s, %g Mb/s\n", cases[i].model != NULL ?
		    cases[i].model : "(none)", cases[i].mbps);
		assert_int_equal(usb_model_slows(m, cases[i].mbps),
		    cases[i].slows);
	}
	assert_string_equal(usb_model_lookup("qemu-xhci")->name, "qemu-xhci");
	assert_null(usb_model_lookup("vendor-turbo-xhci"));
}

static void
test_domxml_limit(void **state _unused_)
{
	static const struct {
		size_t n;
		int r;
	} cases[] = {
		{ 0, 0 }, { 1, 0 }, { 4095, 0 }, { 4096, 0 },
		{ 4097, -EINVAL }, { 20000, -EINVAL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_(hostdev_list_done) struct hostdev_list l = { 0 };
		_cleanup_free_ char *xml = NULL;
		size_t len;

		print_message("%zu hostdevs\n", cases[i].n);
		xml = many_hostdevs(cases[i].n, &len);
		assert_int_equal(hostdevs(xml, len, &l), cases[i].r);
		if (cases[i].r < 0) {
			assert_string_equal(l.error, "too many hostdevs");
			continue;
		}
		assert_int_equal(l.n, cases[i].n);
		for (size_t j = 0; j < l.n; j++) {
			char alias[32];

			(void)snprintf(alias, sizeof(alias), "ua-bbvirt-X%zu",
			    j);
			assert_string_equal(l.v[j].alias, alias);
			assert_int_equal(l.v[j].bus, j / 128 + 1);
			assert_int_equal(l.v[j].dev, j % 128);
		}
	}
}

static void
test_domxml_build(void **state _unused_)
{
	static const struct {
		unsigned bus;
		unsigned dev;
		const char *alias;
		int r;
		const char *xml;        /* NULL: only check the round trip */
	} cases[] = {
		{ 3, 7, "ua-bbvirt-AB12", 0,
		  "<hostdev mode=\"subsystem\" type=\"usb\" managed=\"no\"><source><address bus=\"3\" device=\"7\"/></source><alias name=\"ua-bbvirt-AB12\"/></hostdev>" },
		{ 3, 7, NULL, 0,
		  "<hostdev mode=\"subsystem\" type=\"usb\" managed=\"no\"><source><address bus=\"3\" device=\"7\"/></source></hostdev>" },
		{ 1, 1, "a\"b", 0,
		  "<hostdev mode=\"subsystem\" type=\"usb\" managed=\"no\"><source><address bus=\"1\" device=\"1\"/></source><alias name=\"a&quot;b\"/></hostdev>" },
		{ 255, 127, "ua-bbmanual-AB-2d12", 0, NULL },
		{ 0, 0, "", 0, NULL },
		{ 65535, 65535, "x", 0, NULL },
		{ 1, 2, "'", 0, NULL },
		{ 1, 2, "<", 0, NULL },
		{ 1, 2, "&", 0, NULL },
		{ 1, 2, "&amp;", 0, NULL },
		{ 1, 2, "&x;", 0, NULL },
		{ 1, 2, "\"/><alias name=\"evil", 0, NULL },
		{ 1, 2, "]]><!--", 0, NULL },
		{ 1, 2, "<&'\"> \t\n\r", 0, NULL },
		{ 1, 2, "caf\xc3\xa9 \xe2\x98\xba", 0, NULL },
		{ 1, 2, "a\x01", -EINVAL, NULL },
		{ 1, 2, "\x1b[31m", -EINVAL, NULL },
		{ 1, 2, "\xff\xfe", -EINVAL, NULL },
		{ 1, 2, "caf\xc3", -EINVAL, NULL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_(hostdev_list_done) struct hostdev_list l = { 0 };
		_cleanup_free_ char *xml = NULL;
		_cleanup_free_ char *dom = NULL;
		char *sentinel = (char *)(uintptr_t)1;
		char *out = sentinel;
		char buf[VISIBLE_BUF];

		print_message("build %u:%u '%s'\n", cases[i].bus, cases[i].dev,
		    cases[i].alias != NULL ? str_visible(cases[i].alias,
		    strlen(cases[i].alias), buf, sizeof(buf)) : "(null)");
		assert_int_equal(domxml_build_usb_hostdev(cases[i].bus,
		    cases[i].dev, cases[i].alias, &out), cases[i].r);
		if (cases[i].r < 0) {
			assert_ptr_equal(out, sentinel);
			continue;
		}
		xml = out;
		if (cases[i].xml != NULL)
			assert_string_equal(xml, cases[i].xml);
		assert_null(strstr(xml, "<?xml"));
		assert_true(asprintf(&dom,
		    "<domain><devices>%s</devices></domain>", xml) > 0);
		assert_int_equal(domxml_hostdevs(dom, strlen(dom), &l),
		    0);
		assert_int_equal(l.n, 1);
		assert_true(l.v[0].has_address);
		assert_int_equal(l.v[0].bus, cases[i].bus);
		assert_int_equal(l.v[0].dev, cases[i].dev);
		assert_false(l.v[0].has_id);
		if (cases[i].alias == NULL)
			assert_null(l.v[0].alias);
		else
			assert_string_equal(l.v[0].alias, cases[i].alias);
	}
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_domxml_fixtures),
		cmocka_unit_test(test_domxml_buffers),
		cmocka_unit_test(test_domxml_usb_models),
		cmocka_unit_test(test_domxml_limit),
		cmocka_unit_test(test_domxml_build),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
