/*
 * apply, behind a recording fake of its hypervisor interface: the exact
 * XML it sends, detach by alias or by address, and a failure that is
 * reported without stopping the actions after it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "apply.h"
#include "domxml.h"
#include "log.h"
#include "plan.h"
#include "util.h"

struct recorder {
	char *calls;
	size_t len;
	FILE *f;
	const char *fail_domain;        /* every call on it fails */
	const char *stopped_domain;     /* every call on it finds it stopped */
};

static int
record(struct recorder *r, const char *op, struct plan_action *a,
    const char *arg)
{
	fprintf(r->f, "%s %s %s\n", op, a->domain, arg);
	if (r->fail_domain != NULL && strcmp(a->domain, r->fail_domain) == 0) {
		a->error = strdup("Requested operation is not valid: domain is not running");
		return -EIO;
	}
	if (r->stopped_domain != NULL &&
	    strcmp(a->domain, r->stopped_domain) == 0) {
		a->error = strdup("Requested operation is not valid: domain is not running");
		return -ESRCH;
	}
	return 0;
}

static int
rec_attach(void *u, struct plan_action *a, const char *xml)
{
	return record(u, "attach", a, xml);
}

static int
rec_detach_alias(void *u, struct plan_action *a)
{
	return record(u, "detach-alias", a, a->alias);
}

static int
rec_detach_xml(void *u, struct plan_action *a, const char *xml)
{
	return record(u, "detach-xml", a, xml);
}

static int
rec_wait_gone(void *u, struct plan_action *a)
{
	return record(u, "wait-gone", a, a->alias);
}

/* The domain "uhci" has the pc machine's USB 1.1 controller, the others xHCI. */
static int
rec_find_controller(void *u, struct plan_action *a)
{
	a->controller = usb_model_lookup(strcmp(a->domain, "uhci") == 0 ?
	    "piix3-uhci" : "qemu-xhci");
	return record(u, "find-controller", a, a->alias);
}

static const struct apply_ops rec_ops = {
	rec_attach, rec_detach_alias, rec_detach_xml, rec_wait_gone,
	rec_find_controller,
};

static struct plan_action
action(enum plan_op op, const char *domain, const char *serial, unsigned bus,
    unsigned dev, const char *alias)
{
	return (struct plan_action){
		.op = op, .reason = op == PLAN_ATTACH ? PLAN_MISSING :
		    PLAN_ABSENT, .domain = strdup(domain),
		.serial = strdup(serial), .bus = bus, .dev = dev,
		.alias = alias != NULL ? strdup(alias) : NULL,
	};
}

static void
test_apply_calls(void **state _unused_)
{
	struct plan *p = calloc(1, sizeof(*p));
	struct recorder rec = { .fail_domain = "down" };
	char *log = NULL;
	size_t loglen = 0;
	FILE *logf = open_memstream(&log, &loglen);

	assert_non_null(p);
	p->n = 6;
	p->v = calloc(p->n, sizeof(*p->v));
	assert_non_null(p->v);
	p->v[0] = action(PLAN_DETACH, "vm1", "A1", 3, 7, "ua-bbvirt-A1");
	p->v[1] = action(PLAN_DETACH, "vm1", "B2", 3, 8, NULL);
	p->v[2] = action(PLAN_DETACH, "vm3", "D4", 2, 5, "ua-bbvirt-D4");
	p->v[3] = action(PLAN_ATTACH, "down", "C3", 3, 9, "ua-bbvirt-C3");
	p->v[4] = action(PLAN_ATTACH, "vm2", "A1", 3, 10, "ua-bbvirt-A1");
	p->v[5] = action(PLAN_ATTACH, "vm2", "<&'\"", 1, 2,
	    "ua-bbvirt--3c-26-27-22");
	rec.f = open_memstream(&rec.calls, &rec.len);
	assert_non_null(rec.f);
	log_set_stream(logf);
	assert_int_equal(apply_plan(p, &rec_ops, &rec), 1);
	log_set_stream(NULL);
	fclose(rec.f);
	fclose(logf);

	assert_string_equal(rec.calls,
	    "detach-alias vm1 ua-bbvirt-A1\n"
	    /* Detaching by alias only asks: wait until vm1 let A1 go. */
	    "wait-gone vm1 ua-bbvirt-A1\n"
	    "detach-xml vm1 <hostdev mode=\"subsystem\" type=\"usb\" managed=\"no\"><source><address bus=\"3\" device=\"8\"/></source></hostdev>\n"
	    /* D4 goes nowhere else, and the run still ends with it gone. */
	    "detach-alias vm3 ua-bbvirt-D4\n"
	    "wait-gone vm3 ua-bbvirt-D4\n"
	    "attach down <hostdev mode=\"subsystem\" type=\"usb\" managed=\"no\"><source><address bus=\"3\" device=\"9\"/></source><alias name=\"ua-bbvirt-C3\"/></hostdev>\n"
	    "attach vm2 <hostdev mode=\"subsystem\" type=\"usb\" managed=\"no\"><source><address bus=\"3\" device=\"10\"/></source><alias name=\"ua-bbvirt-A1\"/></hostdev>\n"
	    "attach vm2 <hostdev mode=\"subsystem\" type=\"usb\" managed=\"no\"><source><address bus=\"1\" device=\"2\"/></source><alias name=\"ua-bbvirt--3c-26-27-22\"/></hostdev>\n");
	assert_string_equal(log,
	    "bbvirt: detached 'A1' (3:7) from 'vm1': absent\n"
	    "bbvirt: detached 'B2' (3:8) from 'vm1': absent\n"
	    "bbvirt: detached 'D4' (2:5) from 'vm3': absent\n"
	    "bbvirt: cannot attach 'C3' (3:9) to 'down': Requested operation is not valid: domain is not running\n"
	    "bbvirt: attached 'A1' (3:10) to 'vm2'\n"
	    "bbvirt: attached '<&'\"' (1:2) to 'vm2'\n");
	assert_int_equal(p->v[0].result, PLAN_DONE);
	assert_int_equal(p->v[1].result, PLAN_DONE);
	assert_int_equal(p->v[2].result, PLAN_DONE);
	assert_int_equal(p->v[3].result, PLAN_FAILED);
	assert_string_equal(p->v[3].error,
	    "Requested operation is not valid: domain is not running");
	assert_int_equal(p->v[4].result, PLAN_DONE);
	assert_int_equal(p->v[5].result, PLAN_DONE);
	free(rec.calls);
	free(log);
	plan_free(p);
}

/*
 * A device of 480 Mb/s or more that lands on a USB 1.1 controller is
 * said so once it is attached; the controller is looked up only for a
 * device it could slow.
 */
static void
test_apply_slowed(void **state _unused_)
{
	struct plan *p = calloc(1, sizeof(*p));
	struct recorder rec = { 0 };
	char *log = NULL;
	size_t loglen = 0;
	FILE *logf = open_memstream(&log, &loglen);

	assert_non_null(p);
	p->n = 3;
	p->v = calloc(p->n, sizeof(*p->v));
	assert_non_null(p->v);
	p->v[0] = action(PLAN_ATTACH, "uhci", "HI", 3, 7, "ua-bbvirt-HI");
	p->v[0].speed = 480;
	p->v[1] = action(PLAN_ATTACH, "uhci", "FULL", 3, 8, "ua-bbvirt-FULL");
	p->v[1].speed = 12;
	p->v[2] = action(PLAN_ATTACH, "xhci", "SUPER", 3, 9, "ua-bbvirt-SUPER");
	p->v[2].speed = 5000;
	rec.f = open_memstream(&rec.calls, &rec.len);
	assert_non_null(rec.f);
	log_set_stream(logf);
	assert_int_equal(apply_plan(p, &rec_ops, &rec), 0);
	log_set_stream(NULL);
	fclose(rec.f);
	fclose(logf);
	assert_non_null(strstr(rec.calls, "find-controller uhci ua-bbvirt-HI\n"));
	assert_null(strstr(rec.calls, "find-controller uhci ua-bbvirt-FULL"));
	assert_non_null(strstr(rec.calls, "find-controller xhci ua-bbvirt-SUPER\n"));
	assert_string_equal(log,
	    "bbvirt: attached 'HI' (3:7) to 'uhci'\n"
	    "bbvirt: 'HI' (3:7, 480 Mb/s) is on a USB 1.1 controller of 'uhci' (piix3-uhci), which runs it at 12 Mb/s at most: give the domain a qemu-xhci controller\n"
	    "bbvirt: attached 'FULL' (3:8) to 'uhci'\n"
	    "bbvirt: attached 'SUPER' (3:9) to 'xhci'\n");
	free(rec.calls);
	free(log);
	plan_free(p);
}

/*
 * An attach after its serial's detach failed is not tried: the alias is
 * still taken, and the device still held.
 */
static void
test_apply_blocked(void **state _unused_)
{
	struct plan *p = calloc(1, sizeof(*p));
	struct recorder rec = { .fail_domain = "stuck" };
	FILE *devnull = fopen("/dev/null", "we");

	assert_non_null(p);
	assert_non_null(devnull);
	p->n = 3;
	p->v = calloc(p->n, sizeof(*p->v));
	assert_non_null(p->v);
	p->v[0] = action(PLAN_DETACH, "stuck", "A1", 3, 7, "ua-bbvirt-A1");
	p->v[1] = action(PLAN_ATTACH, "vm2", "A1", 3, 7, "ua-bbvirt-A1");
	p->v[2] = action(PLAN_ATTACH, "vm2", "B2", 3, 8, "ua-bbvirt-B2");
	rec.f = open_memstream(&rec.calls, &rec.len);
	assert_non_null(rec.f);
	log_set_stream(devnull);
	assert_int_equal(apply_plan(p, &rec_ops, &rec), 2);
	log_set_stream(NULL);
	fclose(rec.f);
	fclose(devnull);
	assert_string_equal(rec.calls,
	    "detach-alias stuck ua-bbvirt-A1\n"
	    "attach vm2 <hostdev mode=\"subsystem\" type=\"usb\" managed=\"no\"><source><address bus=\"3\" device=\"8\"/></source><alias name=\"ua-bbvirt-B2\"/></hostdev>\n");
	assert_int_equal(p->v[1].result, PLAN_FAILED);
	assert_string_equal(p->v[1].error,
	    "not tried: it could not be detached from 'stuck'");
	assert_int_equal(p->v[2].result, PLAN_DONE);
	free(rec.calls);
	plan_free(p);
}

/*
 * A domain that stopped after the snapshot (shut down, destroyed, saved)
 * fails every change: no failure of the run, and the others go on.
 */
static void
test_apply_stopped(void **state _unused_)
{
	struct plan *p = calloc(1, sizeof(*p));
	struct recorder rec = { .stopped_domain = "gone" };
	FILE *devnull = fopen("/dev/null", "we");

	assert_non_null(p);
	assert_non_null(devnull);
	p->n = 2;
	p->v = calloc(p->n, sizeof(*p->v));
	assert_non_null(p->v);
	p->v[0] = action(PLAN_ATTACH, "gone", "A1", 3, 7, "ua-bbvirt-A1");
	p->v[1] = action(PLAN_ATTACH, "vm2", "B2", 3, 8, "ua-bbvirt-B2");
	rec.f = open_memstream(&rec.calls, &rec.len);
	assert_non_null(rec.f);
	log_set_stream(devnull);
	assert_int_equal(apply_plan(p, &rec_ops, &rec), 0);
	log_set_stream(NULL);
	fclose(rec.f);
	fclose(devnull);
	assert_int_equal(p->v[0].result, PLAN_STOPPED);
	assert_int_equal(p->v[1].result, PLAN_DONE);
	free(rec.calls);
	plan_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apply_calls),
		cmocka_unit_test(test_apply_blocked),
		cmocka_unit_test(test_apply_slowed),
		cmocka_unit_test(test_apply_stopped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
