/*
 * The restore filter: a domain's XML as libvirt hands it to the qemu hook
 * on "restore begin" and "migrate begin" (fixtures in
 * tests/fixtures/restore/, in the shapes tests/e2e/restore-findings.md
 * measured), the devices plugged in now, and the config. Each case checks
 * the decision for every hostdev, that the rewritten document parses and
 * reads back as decided, and that every byte outside the rewritten
 * <source> elements is the input's.
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
#include "domxml.h"
#include "restore.h"
#include "udevsnap.h"
#include "util.h"

#define DIR "tests/fixtures/restore/"

static char *
slurp(const char *path, size_t *ret_len)
{
	char *buf = NULL;
	size_t len = 0;

	assert_int_equal(read_file(path, 1 << 22, &buf, &len), 0);
	*ret_len = len;
	return buf;
}

/*
 * The host now: GK9VZF replugged (3:5 in the image, 3:7 now), LX4QPA
 * where it was, two devices sharing CLONE1, LENT1 and DROPPED1 plugged in,
 * HV3ZQC (kvm1's) at 5:4; QX7ABS and GONE1 are not plugged in.
 */
static struct usbdev host_devices[] = {
	{ .serial = "GK9VZF", .vendor = 0x0403, .product = 0x7840, .managed = true, .bus = 3, .dev = 7, .port = "3-1" },
	{ .serial = "LX4QPA", .vendor = 0x0403, .product = 0x7840, .managed = true, .bus = 3, .dev = 9, .port = "3-2" },
	{ .serial = "CLONE1", .vendor = 0x0403, .product = 0x7840, .managed = true, .bus = 3, .dev = 10, .port = "3-4" },
	{ .serial = "CLONE1", .vendor = 0x0403, .product = 0x7840, .managed = true, .bus = 3, .dev = 11, .port = "3-5" },
	{ .serial = "LENT1", .vendor = 0x0403, .product = 0x7840, .managed = true, .bus = 3, .dev = 12, .port = "3-6" },
	{ .serial = "DROPPED1", .vendor = 0x0403, .product = 0x7840, .managed = true, .bus = 3, .dev = 13, .port = "3-7" },
	{ .vendor = 0x0bda, .product = 0x2838, .bus = 3, .dev = 14, .port = "3-3" },
	{ .serial = "HV3ZQC", .vendor = 0x0403, .product = 0x7841, .managed = true, .bus = 5, .dev = 4, .port = "5-1" },
};
static const struct udevsnap host = {
	.v = host_devices, .n = ARRAY_SIZE(host_devices),
};

static const char host_conf[] =
    "[defaults]\n"
    "usb-ids = 0403:7840 0403:7841\n"
    "[domain \"kvm0\"]\n"
    "serials = GK9VZF\n"
    "serials = LX4QPA\n"
    "serials = QX7ABS\n"
    "serials = CLONE1\n"
    "serials = GONE1\n"
    "serials = LENT1\n"
    "[domain \"db\"]\n"
    "name = kvm1\n"
    "serials = HV3ZQC\n";

/* One hostdev's expected fate and what it reads back as. */
struct want {
	const char *alias;
	enum restore_verdict verdict;
	enum restore_reason reason;
	bool change;
	const char *after;      /* "B:D V:P" or "B:D -" or "- V:P", then " optional" */
};

static char *
describe(const struct hostdev_span *h)
{
	char *s = NULL;
	char a[32] = "-";
	char id[32] = "-";

	if (h->hd.has_address)
		(void)snprintf(a, sizeof(a), "%u:%u", h->hd.bus, h->hd.dev);
	if (h->hd.has_id)
		(void)snprintf(id, sizeof(id), "%04x:%04x", h->hd.vendor,
		    h->hd.product);
	assert_true(asprintf(&s, "%s %s%s", a, id,
	    h->optional ? " optional" : "") > 0);
	return s;
}

/*
 * Every byte outside the rewritten <source> elements is the input's: walk
 * both documents, skipping each changed source in the input (its range as
 * parsed from the input) and in the output (its range as parsed from the
 * output, found independently of how it was written).
 */
static void
assert_only_sources_differ(const char *in, size_t in_len,
    const struct domxml_spans *before, const char *out, size_t out_len,
    const struct domxml_spans *after, const struct restore_plan *p)
{
	size_t i_at = 0;
	size_t o_at = 0;

	assert_int_equal(before->n, after->n);
	for (size_t i = 0; i < p->n; i++) {
		size_t k;

		if (!p->v[i].change)
			continue;
		k = before->v[i].begin - i_at;
		assert_int_equal(after->v[i].begin - o_at, k);
		assert_memory_equal(in + i_at, out + o_at, k);
		i_at = before->v[i].end;
		o_at = after->v[i].end;
	}
	assert_int_equal(in_len - i_at, out_len - o_at);
	assert_memory_equal(in + i_at, out + o_at, in_len - i_at);
}

static void
run_case(const char *file, const char *domain, const char *conf_text,
    const struct udevsnap *devs, const struct want *want, size_t n_want)
{
	_cleanup_(conf_done) struct conf conf = { 0 };
	_cleanup_(domxml_spans_done) struct domxml_spans doc = { 0 };
	_cleanup_(domxml_spans_done) struct domxml_spans back = { 0 };
	_cleanup_(restore_plan_done) struct restore_plan p = { 0 };
	_cleanup_(hostdev_list_done) struct hostdev_list plain = { 0 };
	_cleanup_free_ char *xml = NULL;
	_cleanup_free_ char *out = NULL;
	size_t changes = 0;
	size_t len;
	size_t n_out = 0;
	char path[256];

	(void)snprintf(path, sizeof(path), DIR "%s", file);
	xml = slurp(path, &len);
	assert_int_equal(conf_parse("test.conf", conf_text, strlen(conf_text),
	    &conf), 0);
	assert_int_equal(domxml_spans(xml, len, &doc), 0);
	assert_string_equal(doc.name, domain);
	assert_int_equal(doc.n, n_want);
	assert_int_equal(restore_decide(&conf, devs, false, doc.name, doc.v, doc.n,
	    &p), 0);
	for (size_t i = 0; i < n_want; i++) {
		print_message("%s: hostdev %zu '%s'\n", file, i,
		    want[i].alias != NULL ? want[i].alias : "");
		assert_true(streq_null(doc.v[i].hd.alias, want[i].alias));
		assert_int_equal(p.v[i].verdict, want[i].verdict);
		assert_int_equal(p.v[i].reason, want[i].reason);
		assert_int_equal(p.v[i].change, want[i].change);
		changes += want[i].change;
	}
	assert_int_equal(p.n_changes, changes);
	if (changes == 0)
		return;
	assert_int_equal(restore_rewrite(xml, len, &doc, &p, &out, &n_out), 0);
	assert_int_equal(strlen(out), n_out);
	/* libvirt's reading of it: it parses, the same hostdevs in order. */
	assert_int_equal(domxml_hostdevs(out, n_out, &plain), 0);
	assert_int_equal(plain.n, n_want);
	assert_int_equal(domxml_spans(out, n_out, &back), 0);
	for (size_t i = 0; i < n_want; i++) {
		_cleanup_free_ char *got = describe(&back.v[i]);

		print_message("%s: after, hostdev %zu: %s\n", file, i, got);
		assert_true(streq_null(back.v[i].hd.alias, want[i].alias));
		assert_string_equal(got, want[i].after);
	}
	assert_only_sources_differ(xml, len, &doc, out, n_out, &back, &p);
}

static void
test_restore_save_image(void **state _unused_)
{
	static const struct want want[] = {
		{ "ua-bbvirt-GK9VZF", RESTORE_READDRESS, RESTORE_ASSIGNED, true, "3:7 0403:7840" },
		{ "ua-bbvirt-LX4QPA", RESTORE_READDRESS, RESTORE_ASSIGNED, false, "3:9 -" },
		{ "ua-bbvirt-QX7ABS", RESTORE_BLOCK, RESTORE_ABSENT, true, "3:129 -" },
		{ "ua-bbvirt-HV3ZQC", RESTORE_BLOCK, RESTORE_ELSEWHERE, true, "5:128 -" },
		{ "ua-bbvirt-CLONE1", RESTORE_BLOCK, RESTORE_SHARED, true, "3:130 -" },
		{ "ua-bbmanual-LENT1", RESTORE_BLOCK, RESTORE_LENT, true, "3:131 -" },
		{ "ua-bbvirt-GONE1", RESTORE_BLOCK, RESTORE_ABSENT, true, "3:132 -" },
		{ "ua-bbvirt-DROPPED1", RESTORE_BLOCK, RESTORE_UNASSIGNED, true, "3:133 -" },
		{ "hostdev0", RESTORE_KEEP, RESTORE_FOREIGN, false, "- 046d:c52b" },
		{ "hostdev1", RESTORE_KEEP, RESTORE_FOREIGN, false, "1:2 -" },
		{ "ua-tablet", RESTORE_KEEP, RESTORE_FOREIGN, false, "3:8 -" },
		{ "ua-bbvirt-bad-zz", RESTORE_KEEP, RESTORE_FOREIGN, false, "3:14 -" },
	};

	run_case("save-image.xml", "kvm0", host_conf, &host, want,
	    ARRAY_SIZE(want));
}

/* The same image migrated to a host where the config gives kvm0 nothing. */
static void
test_restore_nothing_assigned(void **state _unused_)
{
	static const struct want want[] = {
		{ "ua-bbvirt-GK9VZF", RESTORE_BLOCK, RESTORE_UNASSIGNED, true, "3:129 -" },
		{ "ua-bbvirt-LX4QPA", RESTORE_BLOCK, RESTORE_UNASSIGNED, true, "3:130 -" },
		{ "ua-bbvirt-QX7ABS", RESTORE_BLOCK, RESTORE_ABSENT, true, "3:131 -" },
		{ "ua-bbvirt-HV3ZQC", RESTORE_BLOCK, RESTORE_UNASSIGNED, true, "5:128 -" },
		{ "ua-bbvirt-CLONE1", RESTORE_BLOCK, RESTORE_SHARED, true, "3:132 -" },
		{ "ua-bbmanual-LENT1", RESTORE_BLOCK, RESTORE_LENT, true, "3:133 -" },
		{ "ua-bbvirt-GONE1", RESTORE_BLOCK, RESTORE_ABSENT, true, "3:134 -" },
		{ "ua-bbvirt-DROPPED1", RESTORE_BLOCK, RESTORE_UNASSIGNED, true, "3:135 -" },
		{ "hostdev0", RESTORE_KEEP, RESTORE_FOREIGN, false, "- 046d:c52b" },
		{ "hostdev1", RESTORE_KEEP, RESTORE_FOREIGN, false, "1:2 -" },
		{ "ua-tablet", RESTORE_KEEP, RESTORE_FOREIGN, false, "3:8 -" },
		{ "ua-bbvirt-bad-zz", RESTORE_KEEP, RESTORE_FOREIGN, false, "3:14 -" },
	};

	run_case("save-image.xml", "kvm0", "", &host, want, ARRAY_SIZE(want));
}

/*
 * An image the filter rewrote before, restored again after another
 * replug: a parked hostdev whose device is back gets that device, with
 * its vendor and product and without the startupPolicy the park left.
 * GK9VZF's new address is one an admin's stale hostdev names: libvirt
 * would refuse two hostdevs at one address, so GK9VZF is parked.
 */
static void
test_restore_rewritten_before(void **state _unused_)
{
	static const char conf_text[] =
	    "[domain \"kvm0\"]\nserials = GK9VZF\nserials = LX4QPA\n";
	static struct usbdev devs[] = {
		{ .serial = "GK9VZF", .vendor = 0x0403, .product = 0x7840, .managed = true, .bus = 3, .dev = 21, .port = "3-1" },
		{ .serial = "LX4QPA", .vendor = 0x0403, .product = 0x7840, .managed = true, .bus = 4, .dev = 2, .port = "4-1" },
	};
	static const struct udevsnap now = { .v = devs, .n = ARRAY_SIZE(devs) };
	static const struct want want[] = {
		{ "ua-bbvirt-GK9VZF", RESTORE_BLOCK, RESTORE_TAKEN, true, "3:129 -" },
		{ "ua-bbvirt-LX4QPA", RESTORE_READDRESS, RESTORE_ASSIGNED, true, "4:2 0403:7840" },
		{ "ua-foreign", RESTORE_KEEP, RESTORE_FOREIGN, false, "3:21 -" },
	};

	run_case("rewritten.xml", "kvm0", conf_text, &now, want,
	    ARRAY_SIZE(want));
}

/*
 * What port and type rules attached is readdressed as a serial's is: to
 * the device the claim gives this domain by that rule (the port's, the
 * type's at its kernel port). A serial named by devices = V:P/SERIAL is
 * not the serial rule's while the device is of another type: LX4QPA's
 * rule names 0403:7841, and the port rule claims it; its ua-bbvirt-
 * hostdev is parked, and so all of bbvirt's are.
 */
static void
test_restore_rules(void **state _unused_)
{
	static const char conf_text[] =
	    "[domain \"kvm0\"]\n"
	    "ports = 3-2\n"
	    "devices = 0bda:2838 0403:7840/GK9VZF 0403:7841/LX4QPA\n";
	static const struct want want[] = {
		{ "ua-bbport-3-2d2", RESTORE_PARK, RESTORE_WITH_OTHERS, true, "3:128 - optional" },
		{ "ua-bbtype-0bda2838-3-2d3", RESTORE_PARK, RESTORE_WITH_OTHERS, true, "3:129 - optional" },
		{ "ua-bbvirt-GK9VZF", RESTORE_PARK, RESTORE_WITH_OTHERS, true, "3:130 - optional" },
		{ "ua-bbvirt-LX4QPA", RESTORE_PARK, RESTORE_OTHER_RULE, true, "3:131 - optional" },
	};
	static const struct want placed[] = {
		{ "ua-bbport-3-2d2", RESTORE_READDRESS, RESTORE_ASSIGNED, true, "3:9 0403:7840" },
		{ "ua-bbtype-0bda2838-3-2d3", RESTORE_READDRESS, RESTORE_ASSIGNED, true, "3:14 0bda:2838" },
		{ "ua-bbvirt-GK9VZF", RESTORE_READDRESS, RESTORE_ASSIGNED, true, "3:7 0403:7840" },
	};
	static const struct want elsewhere[] = {
		{ "ua-bbport-3-2d2", RESTORE_PARK, RESTORE_ELSEWHERE, true, "3:128 - optional" },
		{ "ua-bbtype-0bda2838-3-2d3", RESTORE_PARK, RESTORE_UNASSIGNED, true, "3:129 - optional" },
		{ "ua-bbvirt-GK9VZF", RESTORE_PARK, RESTORE_WITH_OTHERS, true, "3:130 - optional" },
	};

	run_case("rules.xml", "kvm0", conf_text, &host, want, ARRAY_SIZE(want));
	run_case("rules-placed.xml", "kvm0", conf_text, &host, placed,
	    ARRAY_SIZE(placed));
	/* The port is another domain's; the RTL-SDR at 3-3 is now a type rule's of nobody. */
	run_case("rules-placed.xml", "kvm0",
	    "[domain \"kvm0\"]\ndevices = 0403:7840/GK9VZF\n"
	    "[domain \"kvm9\"]\nports = 3-2\n", &host, elsewhere,
	    ARRAY_SIZE(elsewhere));
}

/*
 * The restore filter asks the planner's claims, post-pass included: a
 * stable path that names port 3 of a controller's USB 2 root and port 3
 * of its USB 3 root claims both devices there, so neither is the port
 * rule's (status: ambiguous), and the type rule's hostdev of the RTL-SDR
 * at 3-3 is parked as assigned to no domain, not readdressed or kept
 * for a port rule that claims it alone by a second copy of the claim.
 */
static void
test_restore_port_twice(void **state _unused_)
{
	static struct usbdev devs[] = {
		{ .serial = "GK9VZF", .vendor = 0x0403, .product = 0x7840, .managed = true, .bus = 3, .dev = 7, .port = "3-1", .path = "pci-0000:00:14.0-usb-0:1" },
		{ .vendor = 0x0403, .product = 0x7840, .managed = true, .bus = 3, .dev = 9, .port = "3-2", .path = "pci-0000:00:14.0-usb-0:2" },
		{ .vendor = 0x0bda, .product = 0x2838, .bus = 3, .dev = 14, .port = "3-3", .path = "pci-0000:00:14.0-usb-0:3" },
		{ .vendor = 0x0403, .product = 0x7840, .managed = true, .bus = 4, .dev = 2, .port = "4-3", .path = "pci-0000:00:14.0-usb-0:3" },
	};
	static const struct udevsnap now = { .v = devs, .n = ARRAY_SIZE(devs) };
	static const struct want want[] = {
		{ "ua-bbport-3-2d2", RESTORE_PARK, RESTORE_WITH_OTHERS, true, "3:128 - optional" },
		{ "ua-bbtype-0bda2838-3-2d3", RESTORE_PARK, RESTORE_UNASSIGNED, true, "3:129 - optional" },
		{ "ua-bbvirt-GK9VZF", RESTORE_PARK, RESTORE_WITH_OTHERS, true, "3:130 - optional" },
	};

	run_case("rules-placed.xml", "kvm0",
	    "[domain \"kvm0\"]\nports = 3-2 pci-0000:00:14.0-usb-0:3\n"
	    "devices = 0bda:2838 0403:7840/GK9VZF\n", &now, want,
	    ARRAY_SIZE(want));
}

/*
 * Another hook before ours may have written the document its own way:
 * one line, double quotes, an XML declaration, <source/> empty. Only the
 * sources change still.
 */
static void
test_restore_compact(void **state _unused_)
{
	static const struct want want[] = {
		{ "ua-bbvirt-GK9VZF", RESTORE_READDRESS, RESTORE_ASSIGNED, true, "3:7 0403:7840" },
		{ "ua-bbvirt-QX7ABS", RESTORE_BLOCK, RESTORE_ABSENT, true, "1:128 -" },
		{ "ua-other", RESTORE_KEEP, RESTORE_FOREIGN, false, "3:6 -" },
		{ "ua-bbvirt-LX4QPA", RESTORE_READDRESS, RESTORE_ASSIGNED, true, "3:9 0403:7840" },
	};

	run_case("compact.xml", "kvm0", host_conf, &host, want,
	    ARRAY_SIZE(want));
}

/* The live XML of a running guest (as migrate hands it over). */
static void
test_restore_live(void **state _unused_)
{
	static const struct want want[] = {
		{ "hostdev0", RESTORE_KEEP, RESTORE_FOREIGN, false, "3:7 -" },
		{ "ua-bbvirt-HV3ZQC", RESTORE_READDRESS, RESTORE_ASSIGNED, true, "5:4 0403:7841" },
		{ "ua-bbmanual-AB-2d12", RESTORE_BLOCK, RESTORE_LENT, true, "5:128 -" },
		{ "hostdev3", RESTORE_KEEP, RESTORE_FOREIGN, false, "3:9 0403:7840 optional" },
		{ "ua-tablet", RESTORE_KEEP, RESTORE_FOREIGN, false, "- 1d50:6089" },
		{ NULL, RESTORE_KEEP, RESTORE_FOREIGN, false, "4:2 -" },
	};

	run_case("../domxml/qemu-live.xml", "kvm1", host_conf, &host, want,
	    ARRAY_SIZE(want));
}

/*
 * A parked hostdev becomes an empty port that takes whatever its QEMU may
 * open: the devices of the guest's other USB hostdevs. Only bbvirt's
 * here: GK9VZF, present and assigned, is parked beside GONE1 (and the
 * sync after the start attaches it); GONE1, parked before, stays so.
 */
static void
test_restore_only_ours(void **state _unused_)
{
	static const struct want want[] = {
		{ "ua-bbvirt-GK9VZF", RESTORE_PARK, RESTORE_WITH_OTHERS, true, "3:129 - optional" },
		{ "ua-bbvirt-GONE1", RESTORE_PARK, RESTORE_ABSENT, false, "3:128 - optional" },
	};

	run_case("only-ours.xml", "kvm0", host_conf, &host, want,
	    ARRAY_SIZE(want));
}

/*
 * Beside an admin's hostdev, which names a device, parking is unsafe:
 * GONE1, parked by an earlier run, is blocked (the same address, not
 * optional), and libvirt refuses the start rather than let an empty port
 * take the admin's device. Nothing of bbvirt's: no rewrite at all.
 */
static void
test_restore_no_change(void **state _unused_)
{
	static const struct want want[] = {
		{ "ua-bbvirt-LX4QPA", RESTORE_READDRESS, RESTORE_ASSIGNED, false, "3:9 -" },
		{ "ua-bbvirt-GONE1", RESTORE_BLOCK, RESTORE_ABSENT, true, "3:128 -" },
		{ "hostdev0", RESTORE_KEEP, RESTORE_FOREIGN, false, "- 046d:c52b" },
	};
	_cleanup_free_ char *xml = NULL;
	_cleanup_(domxml_spans_done) struct domxml_spans doc = { 0 };
	size_t len;

	run_case("in-place.xml", "kvm0", host_conf, &host, want,
	    ARRAY_SIZE(want));
	xml = slurp(DIR "no-bbvirt.xml", &len);
	assert_int_equal(domxml_spans(xml, len, &doc), 0);
	assert_false(restore_any_owned(doc.v, doc.n));
}

/*
 * What libvirt would not write, but a document may hold: one serial in
 * two hostdevs (the first gets the device, the second is parked, so
 * libvirt is not asked to give one device twice), and a hostdev of
 * bbvirt's without a source (nothing to splice: left alone).
 */
static void
test_restore_odd(void **state _unused_)
{
	static const char xml[] =
	    "<domain><name>kvm0</name><devices>"
	    "<hostdev mode='subsystem' type='usb'><source><address bus='3' device='5'/></source><alias name='ua-bbvirt-GK9VZF'/></hostdev>"
	    "<hostdev mode='subsystem' type='usb'><source><address bus='3' device='6'/></source><alias name='ua-bbvirt-GK9VZF'/></hostdev>"
	    "<hostdev mode='subsystem' type='usb'><alias name='ua-bbvirt-LX4QPA'/></hostdev>"
	    "</devices></domain>";
	_cleanup_(conf_done) struct conf conf = { 0 };
	_cleanup_(domxml_spans_done) struct domxml_spans doc = { 0 };
	_cleanup_(restore_plan_done) struct restore_plan p = { 0 };

	assert_int_equal(conf_parse("test.conf", host_conf, strlen(host_conf),
	    &conf), 0);
	assert_int_equal(domxml_spans(xml, strlen(xml), &doc), 0);
	assert_int_equal(doc.n, 3);
	assert_false(doc.v[2].has_source);
	assert_int_equal(restore_decide(&conf, &host, false, doc.name, doc.v, doc.n,
	    &p), 0);
	/* Parked with the second: an empty port would take a device it holds. */
	assert_int_equal(p.v[0].verdict, RESTORE_PARK);
	assert_int_equal(p.v[0].reason, RESTORE_WITH_OTHERS);
	assert_int_equal(p.v[1].verdict, RESTORE_PARK);
	assert_int_equal(p.v[1].reason, RESTORE_TWICE);
	assert_int_equal(p.v[2].verdict, RESTORE_KEEP);
	assert_int_equal(p.v[2].reason, RESTORE_NO_SOURCE);
	assert_int_equal(p.n_changes, 2);
}

/*
 * What libvirt 9.0's own validation refuses, measured with its test
 * driver: two hostdevs at one address, and a hostdev at device 0 (which
 * it compares by vendor and product) beside another without ids. An
 * earlier filter's park at device 0 is parked again at a number of its
 * own; an admin's hostdev by the same vendor and product keeps ours to
 * the address alone.
 */
static void
test_restore_libvirt_rules(void **state _unused_)
{
	static const struct want want[] = {
		{ "ua-bbvirt-QX7ABS", RESTORE_BLOCK, RESTORE_ABSENT, true, "3:129 -" },
		{ "ua-bbvirt-GONE1", RESTORE_BLOCK, RESTORE_ABSENT, true, "3:130 -" },
		{ "ua-stale", RESTORE_KEEP, RESTORE_FOREIGN, false, "3:128 -" },
		{ "ua-model", RESTORE_KEEP, RESTORE_FOREIGN, false, "- 0403:7840" },
		{ "ua-bbvirt-GK9VZF", RESTORE_READDRESS, RESTORE_ASSIGNED, true, "3:7 -" },
		{ "ua-bbvirt-LX4QPA", RESTORE_READDRESS, RESTORE_ASSIGNED, false, "3:9 -" },
	};

	run_case("libvirt-rules.xml", "kvm0", host_conf, &host, want,
	    ARRAY_SIZE(want));
}

/* Many parked hostdevs on one bus: each gets a number of its own. */
static void
test_restore_many(void **state _unused_)
{
	_cleanup_(conf_done) struct conf conf = { 0 };
	_cleanup_(domxml_spans_done) struct domxml_spans doc = { 0 };
	_cleanup_(domxml_spans_done) struct domxml_spans back = { 0 };
	_cleanup_(restore_plan_done) struct restore_plan p = { 0 };
	_cleanup_free_ char *xml = NULL;
	_cleanup_free_ char *out = NULL;
	size_t len = 0;
	size_t n_out = 0;
	const size_t n = 4096;
	FILE *f = open_memstream(&xml, &len);

	assert_non_null(f);
	fputs("<domain><name>kvm0</name><devices>\n", f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "<hostdev mode='subsystem' type='usb'><source><address bus='3' device='%zu'/></source><alias name='ua-bbvirt-M%zu'/></hostdev>\n",
		    i % 127 + 1, i);
	fputs("</devices></domain>\n", f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(conf_parse("test.conf", "", 0, &conf), 0);
	assert_int_equal(domxml_spans(xml, len, &doc), 0);
	assert_int_equal(doc.n, n);
	assert_int_equal(restore_decide(&conf, &host, false, doc.name, doc.v, doc.n,
	    &p), 0);
	assert_int_equal(p.n_changes, n);
	assert_int_equal(restore_rewrite(xml, len, &doc, &p, &out, &n_out), 0);
	assert_int_equal(domxml_spans(out, n_out, &back), 0);
	for (size_t i = 0; i < n; i++) {
		assert_true(back.v[i].optional);
		assert_int_equal(back.v[i].hd.bus, 3);
		assert_int_equal(back.v[i].hd.dev, 128 + i);
	}
}

/*
 * What the filter must not rewrite: documents it cannot read, or whose
 * offsets would not be the input's own bytes. The hook then passes the
 * XML on unchanged.
 */
static void
test_restore_refused(void **state _unused_)
{
	static const struct {
		const char *file;
		const char *err;
	} cases[] = {
		{ "truncated.xml", "Premature end of data in tag hostdev line 71" },
		{ "latin1.xml", "document not in UTF-8" },
		{ "doctype.xml", "unexpected document type declaration" },
		{ "../domxml/xxe-content.xml", NULL },
		{ "../domxml/billion-laughs.xml", NULL },
		{ "../domxml/not-domain.xml", "root element is not 'domain'" },
		{ "../domxml/empty.xml", "empty document" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_(domxml_spans_done) struct domxml_spans doc = { 0 };
		_cleanup_free_ char *xml = NULL;
		char path[256];
		size_t len;

		print_message("refused: %s\n", cases[i].file);
		(void)snprintf(path, sizeof(path), DIR "%s", cases[i].file);
		xml = slurp(path, &len);
		assert_int_equal(domxml_spans(xml, len, &doc), -EINVAL);
		assert_non_null(doc.error);
		if (cases[i].err != NULL)
			assert_string_equal(doc.error, cases[i].err);
		assert_int_equal(doc.n, 0);
		assert_null(doc.v);
		assert_null(doc.name);
	}
}

/* The splice refuses edits out of order, overlapping or out of bounds. */
static void
test_splice(void **state _unused_)
{
	static const char doc[] = "<a><b/><c/></a>";
	static const struct {
		const char *name;
		struct domxml_edit e[2];
		size_t n;
		int r;
		const char *out;
	} cases[] = {
		{ "none", { { 0 } }, 0, 0, "<a><b/><c/></a>" },
		{ "one", { { 3, 7, "<x/>" } }, 1, 0, "<a><x/><c/></a>" },
		{ "two", { { 3, 7, "" }, { 7, 11, "<yy></yy>" } }, 2, 0, "<a><yy></yy></a>" },
		{ "insert", { { 3, 3, "<i/>" } }, 1, 0, "<a><i/><b/><c/></a>" },
		{ "whole", { { 0, 15, "<z/>" } }, 1, 0, "<z/>" },
		{ "reversed", { { 7, 11, "" }, { 3, 7, "" } }, 2, -EINVAL, NULL },
		{ "overlap", { { 3, 8, "" }, { 7, 11, "" } }, 2, -EINVAL, NULL },
		{ "backwards", { { 7, 3, "" } }, 1, -EINVAL, NULL },
		{ "past the end", { { 3, 16, "" } }, 1, -EINVAL, NULL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *out = NULL;
		size_t n = 42;

		print_message("splice: %s\n", cases[i].name);
		assert_int_equal(domxml_splice(doc, strlen(doc), cases[i].e,
		    cases[i].n, &out, &n), cases[i].r);
		if (cases[i].r < 0) {
			assert_null(out);
			assert_int_equal(n, 42);
			continue;
		}
		assert_string_equal(out, cases[i].out);
		assert_int_equal(n, strlen(cases[i].out));
	}
}

/* A built <source>, put into a hostdev, reads back to what went in. */
static void
test_build_source(void **state _unused_)
{
	static const struct domxml_source cases[] = {
		{ .bus = 3, .dev = 7 },
		{ .bus = 3, .dev = 7, .has_id = true, .vendor = 0x0403, .product = 0x7840 },
		{ .optional = true, .bus = 1, .dev = 0 },
		{ .bus = 65535, .dev = 65535, .has_id = true, .vendor = 0xffff, .product = 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct domxml_source *c = &cases[i];
		_cleanup_(domxml_spans_done) struct domxml_spans doc = { 0 };
		_cleanup_free_ char *src = NULL;
		_cleanup_free_ char *xml = NULL;
		const struct hostdev_span *h;

		print_message("build: %u:%u\n", c->bus, c->dev);
		assert_int_equal(domxml_build_source(c, i % 2 == 0, 3, &src), 0);
		/* Indented on its own lines, or all on one. */
		assert_true((strchr(src, '\n') != NULL) == (i % 2 == 0));
		assert_true(asprintf(&xml, "<domain><devices><hostdev mode='subsystem' type='usb'>%s<alias name='ua-bbvirt-A'/></hostdev></devices></domain>",
		    src) > 0);
		assert_int_equal(domxml_spans(xml, strlen(xml), &doc), 0);
		assert_int_equal(doc.n, 1);
		h = &doc.v[0];
		assert_true(h->has_source && h->hd.has_address);
		assert_int_equal(h->optional, c->optional);
		assert_int_equal(h->hd.bus, c->bus);
		assert_int_equal(h->hd.dev, c->dev);
		assert_int_equal(h->hd.has_id, c->has_id);
		if (c->has_id) {
			assert_int_equal(h->hd.vendor, c->vendor);
			assert_int_equal(h->hd.product, c->product);
		}
		/* The span is the whole element that was put in. */
		assert_int_equal(h->end - h->begin, strlen(src));
		assert_memory_equal(xml + h->begin, src, strlen(src));
	}
}

/* restore_check() notices a rewrite that does not say what was decided. */
static void
test_check(void **state _unused_)
{
	struct hostdev_span before = { .hd = { .alias = "ua-bbvirt-A",
	    .has_address = true, .bus = 3, .dev = 5 }, .has_source = true };
	struct restore_decision d = { .verdict = RESTORE_READDRESS,
	    .change = true, .source = { .bus = 3, .dev = 7, .has_id = true,
	    .vendor = 1, .product = 2 } };
	struct restore_plan p = { .v = &d, .n = 1, .n_changes = 1 };
	struct hostdev_span good = { .hd = { .alias = "ua-bbvirt-A",
	    .has_address = true, .bus = 3, .dev = 7, .has_id = true,
	    .vendor = 1, .product = 2 }, .has_source = true };
	struct hostdev_span bad = good;

	assert_int_equal(restore_check(&p, &before, 1, &good, 1), 0);
	assert_int_equal(restore_check(&p, &before, 1, &good, 0), -EINVAL);
	bad.hd.dev = 5;
	assert_int_equal(restore_check(&p, &before, 1, &bad, 1), -EINVAL);
	bad = good;
	bad.optional = true;
	assert_int_equal(restore_check(&p, &before, 1, &bad, 1), -EINVAL);
	bad = good;
	bad.hd.alias = "ua-bbvirt-B";
	assert_int_equal(restore_check(&p, &before, 1, &bad, 1), -EINVAL);
	/* Unchanged must mean unchanged. */
	d.change = false;
	assert_int_equal(restore_check(&p, &before, 1, &before, 1), 0);
	assert_int_equal(restore_check(&p, &before, 1, &good, 1), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restore_save_image),
		cmocka_unit_test(test_restore_nothing_assigned),
		cmocka_unit_test(test_restore_rewritten_before),
		cmocka_unit_test(test_restore_rules),
		cmocka_unit_test(test_restore_port_twice),
		cmocka_unit_test(test_restore_only_ours),
		cmocka_unit_test(test_restore_compact),
		cmocka_unit_test(test_restore_live),
		cmocka_unit_test(test_restore_no_change),
		cmocka_unit_test(test_restore_odd),
		cmocka_unit_test(test_restore_libvirt_rules),
		cmocka_unit_test(test_restore_many),
		cmocka_unit_test(test_restore_refused),
		cmocka_unit_test(test_splice),
		cmocka_unit_test(test_build_source),
		cmocka_unit_test(test_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
