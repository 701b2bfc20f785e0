/*
 * The planner, exhaustively: present, absent, moved, foreign, adopted,
 * lent and double-assigned devices, alone and together. Each case is a
 * little world written as text and the plan it must give, as text.
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
#include "conf.h"
#include "domxml.h"
#include "log.h"
#include "plan.h"
#include "report.h"
#include "udevsnap.h"
#include "util.h"
#include "virtsnap.h"

#define CONF(...) "[domain \"vm1\"]\n" __VA_ARGS__
#define TWO "[domain \"vm1\"]\nserials = A1\n[domain \"vm2\"]\nserials = B2\n"

struct pcase {
	const char *name;
	const char *conf;       /* INI */
	const char *devices;    /* "SERIAL@BUS:DEV/PORT ...", '-' for no serial */
	const char *guests;     /* "[!]DOMAIN[:ALIAS@BUS:DEV,...] ...", '!' = shut off, ALIAS '-' = none */
	const char *only;       /* sync DOMAIN..., blank-separated */
	const char *plan;       /* report_plan() text */
};

static const struct pcase cases[] = {
	{ "nothing anywhere", "", "", "", NULL, "" },
	{ "missing: attach", TWO, "A1@3:7/3-2", "vm1 vm2", NULL,
	  "attach A1 3:7 port 3-2 to vm1 (missing)\n" },
	{ "converged: nothing", TWO, "A1@3:7/3-2 B2@3:8/3-3",
	  "vm1:ua-bbvirt-A1@3:7 vm2:ua-bbvirt-B2@3:8", NULL, "" },
	{ "absent: detach", TWO, "", "vm1:ua-bbvirt-A1@3:7 vm2", NULL,
	  "detach A1 3:7 from vm1 (absent)\n" },
	{ "readdressed: detach then attach", TWO, "A1@3:9/3-2",
	  "vm1:ua-bbvirt-A1@3:7 vm2", NULL,
	  "detach A1 3:7 from vm1 (readdressed)\n"
	  "attach A1 3:9 port 3-2 to vm1 (missing)\n" },
	{ "reassigned: move between guests", TWO, "B2@3:8/3-3",
	  "vm1:ua-bbvirt-B2@3:8 vm2", NULL,
	  "detach B2 3:8 port 3-3 from vm1 (reassigned)\n"
	  "attach B2 3:8 port 3-3 to vm2 (missing)\n" },
	{ "unassigned: detach", TWO, "C3@3:5/3-1", "vm1:ua-bbvirt-C3@3:5 vm2",
	  NULL, "detach C3 3:5 port 3-1 from vm1 (unassigned)\n" },
	{ "unassigned and absent", TWO, "", "vm1:ua-bbvirt-C3@3:5 vm2", NULL,
	  "detach C3 3:5 from vm1 (absent)\n" },
	{ "domain shut off: nothing", TWO, "A1@3:7/3-2", "!vm1 vm2", NULL, "" },
	{ "domain unknown to libvirt: nothing", TWO, "A1@3:7/3-2", "vm2", NULL,
	  "" },
	{ "reassigned to a shut-off domain: detach only", TWO, "B2@3:8/3-3",
	  "vm1:ua-bbvirt-B2@3:8 !vm2", NULL,
	  "detach B2 3:8 port 3-3 from vm1 (reassigned)\n" },
	{ "foreign alias untouched", TWO, "A1@3:7/3-2",
	  "vm1:ua-admin@3:7 vm2", NULL, "" },
	{ "foreign alias at another address", TWO, "A1@3:7/3-2",
	  "vm2:ua-admin@1:2 vm1", NULL,
	  "attach A1 3:7 port 3-2 to vm1 (missing)\n" },
	{ "vendor/product hostdev untouched", TWO, "", "vm1:-@0:0 vm2", NULL,
	  "" },
	{ "no alias at an unmanaged address untouched", TWO, "A1@3:7/3-2",
	  "vm2:-@1:2 vm1", NULL, "attach A1 3:7 port 3-2 to vm1 (missing)\n" },
	{ "original's attachment adopted in place", TWO, "A1@3:7/3-2",
	  "vm1:-@3:7 vm2", NULL, "" },
	{ "libvirt alias adopted in place", TWO, "A1@3:7/3-2",
	  "vm1:hostdev0@3:7 vm2", NULL, "" },
	{ "original's attachment adopted and moved", TWO, "B2@3:8/3-3",
	  "vm1:hostdev0@3:8 vm2", NULL,
	  "detach B2 3:8 port 3-3 from vm1 (reassigned)\n"
	  "attach B2 3:8 port 3-3 to vm2 (missing)\n" },
	{ "no-alias adopted and moved", TWO, "B2@3:8/3-3", "vm1:-@3:8 vm2",
	  NULL, "detach B2 3:8 port 3-3 from vm1 (reassigned)\n"
	  "attach B2 3:8 port 3-3 to vm2 (missing)\n" },
	{ "device without serial is never assigned", TWO, "-@3:7/3-2",
	  "vm1 vm2", NULL, "" },
	{ "lent by hand stays while plugged", TWO, "A1@3:7/3-2",
	  "vm2:ua-bbmanual-A1@3:7 vm1", NULL, "" },
	{ "lent by hand and replugged: config rules", TWO, "A1@3:9/3-2",
	  "vm2:ua-bbmanual-A1@3:7 vm1", NULL,
	  "detach A1 3:7 from vm2 (readdressed)\n"
	  "attach A1 3:9 port 3-2 to vm1 (missing)\n" },
	{ "lent unassigned device stays", TWO, "C3@3:5/3-1",
	  "vm2:ua-bbmanual-C3@3:5 vm1", NULL, "" },
	{ "encoded alias decodes", CONF("serials = a-b.c\n"), "a-b.c@2:3/2-1",
	  "vm1", NULL,
	  "attach a-b.c 2:3 port 2-1 to vm1 (missing)\n" },
	{ "encoded alias held", CONF("serials = a-b.c\n"), "a-b.c@2:3/2-1",
	  "vm1:ua-bbvirt-a-2db-2ec@2:3", NULL, "" },
	{ "non-canonical alias is foreign", CONF("serials = AB\n"),
	  "AB@2:3/2-1", "vm1:ua-bbvirt-A-42@2:3", NULL, "" },
	{ "detaches before attaches, sorted", 
	  "[domain \"b\"]\nserials = X1 X2\n[domain \"a\"]\nserials = Y1\n",
	  "X1@1:2/1-1 X2@1:3/1-2 Y1@1:4/1-3",
	  "a:ua-bbvirt-X2@1:3 b:ua-bbvirt-Y1@1:9", NULL,
	  "detach X2 1:3 port 1-2 from a (reassigned)\n"
	  "detach Y1 1:9 from b (readdressed)\n"
	  "attach Y1 1:4 port 1-3 to a (missing)\n"
	  "attach X1 1:2 port 1-1 to b (missing)\n"
	  "attach X2 1:3 port 1-2 to b (missing)\n" },
	{ "scope keeps its domain", TWO, "A1@3:7/3-2 B2@3:8/3-3", "vm1 vm2",
	  "vm2", "attach B2 3:8 port 3-3 to vm2 (missing)\n" },
	{ "scope frees a device held elsewhere", TWO, "B2@3:8/3-3",
	  "vm1:ua-bbvirt-B2@3:8 vm2", "vm2",
	  "detach B2 3:8 port 3-3 from vm1 (reassigned)\n"
	  "attach B2 3:8 port 3-3 to vm2 (missing)\n" },
	/* The old scoping read actions it had already dropped (ASan: use after free). */
	{ "scope drops one action, keeps a later detach", TWO,
	  "A1@3:7/3-2 B2@3:8/3-3", "vm1:ua-bbvirt-B2@3:8 vm2", "vm2",
	  "detach B2 3:8 port 3-3 from vm1 (reassigned)\n"
	  "attach B2 3:8 port 3-3 to vm2 (missing)\n" },
	{ "scope leaves other domains' stale", TWO, "",
	  "vm1:ua-bbvirt-A1@3:7 vm2", "vm2", "" },
	{ "scope by config key", "[domain \"k\"]\nname = vm9\nserials = A1\n",
	  "A1@3:7/3-2", "vm9", "k",
	  "attach A1 3:7 port 3-2 to vm9 (missing)\n" },
	{ "held twice: keep one, detach the other", TWO, "A1@3:7/3-2",
	  "vm1:ua-bbvirt-A1@3:7 vm2:hostdev3@3:7", NULL,
	  "detach A1 3:7 port 3-2 from vm2 (reassigned)\n" },
	/* libvirt keeps aliases unique within a domain, not across domains. */
	{ "stale copy in another guest", TWO, "A1@3:7/3-2",
	  "vm1:ua-bbvirt-A1@3:7 vm2:ua-bbvirt-A1@3:4", NULL,
	  "detach A1 3:4 from vm2 (readdressed)\n" },
	{ "a guest with ours, adopted, foreign and vendor/product",
	  "[domain \"vm1\"]\nserials = A1 B2 C3\n", "A1@3:7/3-2 B2@3:8/3-3 C3@3:9/3-4",
	  "vm1:ua-bbvirt-A1@3:7,hostdev1@3:8,ua-other@3:9,-@0:0", NULL, "" },
	{ "two identical devices to two guests", TWO,
	  "A1@3:7/3-2 B2@3:8/3-3", "vm1 vm2", NULL,
	  "attach A1 3:7 port 3-2 to vm1 (missing)\n"
	  "attach B2 3:8 port 3-3 to vm2 (missing)\n" },
};

/* "A1@3:7/3-2 -@3:8/3-3" */
static void
parse_devices(const char *spec, struct udevsnap *snap)
{
	_cleanup_free_ char *copy = strdup(spec);
	char *save = NULL;

	for (char *w = strtok_r(copy, " ", &save); w != NULL;
	    w = strtok_r(NULL, " ", &save)) {
		struct usbdev d = { .vendor = 0x0403, .product = 0x7840 };
		char *at = strchr(w, '@');
		char *slash = strchr(w, '/');

		assert_non_null(at);
		assert_non_null(slash);
		*at = *slash = '\0';
		assert_int_equal(sscanf(at + 1, "%u:%u", &d.bus, &d.dev), 2);
		d.serial = strcmp(w, "-") == 0 ? NULL : strdup(w);
		d.port = strdup(slash + 1);
		d.syspath = strdup("/sys/fake");
		snap->v = reallocarray(snap->v, snap->n + 1, sizeof(d));
		assert_non_null(snap->v);
		snap->v[snap->n++] = d;
	}
	/* In bus:dev order, as udevsnap_collect() gives them. */
	if (snap->n > 1)
		qsort(snap->v, snap->n, sizeof(*snap->v), usbdev_addr_cmp);
}

/* "vm1:ua-bbvirt-A1@3:7,-@3:9 !vm2" */
static void
parse_guests(const char *spec, struct virtsnap *snap)
{
	_cleanup_free_ char *copy = strdup(spec);
	char *save = NULL;

	for (char *w = strtok_r(copy, " ", &save); w != NULL;
	    w = strtok_r(NULL, " ", &save)) {
		struct vdomain d = { .active = w[0] != '!' };
		char *colon;
		char *save2 = NULL;

		if (w[0] == '!')
			w++;
		colon = strchr(w, ':');
		if (colon != NULL)
			*colon = '\0';
		d.name = strdup(w);
		for (char *h = colon != NULL ? strtok_r(colon + 1, ",", &save2) :
		    NULL; h != NULL; h = strtok_r(NULL, ",", &save2)) {
			struct hostdev hd = { .has_address = true };
			char *at = strchr(h, '@');

			assert_non_null(at);
			*at = '\0';
			assert_int_equal(sscanf(at + 1, "%u:%u", &hd.bus,
			    &hd.dev), 2);
			if (hd.bus == 0) {
				hd.has_address = false;
				hd.has_id = true;
			}
			hd.alias = strcmp(h, "-") == 0 ? NULL : strdup(h);
			d.hostdevs.v = reallocarray(d.hostdevs.v,
			    d.hostdevs.n + 1, sizeof(hd));
			assert_non_null(d.hostdevs.v);
			d.hostdevs.v[d.hostdevs.n++] = hd;
		}
		snap->domains = reallocarray(snap->domains, snap->n_domains + 1,
		    sizeof(d));
		assert_non_null(snap->domains);
		snap->domains[snap->n_domains++] = d;
	}
	/* One reachable default URI. */
	snap->conns = calloc(1, sizeof(*snap->conns));
	assert_non_null(snap->conns);
	snap->n_conns = 1;
}

static void
free_world(struct udevsnap *u, struct virtsnap *v)
{
	for (size_t i = 0; i < u->n; i++) {
		free(u->v[i].serial);
		free(u->v[i].port);
		free(u->v[i].syspath);
	}
	free(u->v);
	for (size_t i = 0; i < v->n_domains; i++) {
		free(v->domains[i].name);
		hostdev_list_done(&v->domains[i].hostdevs);
	}
	free(v->domains);
	free(v->conns);
}

/* A guest world in memory behind our apply interface: what libvirt would do. */
static struct vdomain *
fake_domain(struct virtsnap *snap, const char *name)
{
	for (size_t i = 0; i < snap->n_domains; i++)
		if (strcmp(snap->domains[i].name, name) == 0)
			return &snap->domains[i];
	fail_msg("no domain '%s'", name);
	return NULL;
}

/* Reads back the one hostdev element apply sent, as libvirt would parse it. */
static void
fake_parse(const char *xml, struct hostdev_list *l)
{
	_cleanup_free_ char *dom = NULL;

	assert_true(asprintf(&dom, "<domain><devices>%s</devices></domain>",
	    xml) > 0);
	assert_int_equal(domxml_hostdevs(dom, strlen(dom), l, NULL), 0);
	assert_int_equal(l->n, 1);
}

static int
fake_attach(void *userdata, const char *uri _unused_, const char *domain,
    const char *xml, char **ret_error _unused_)
{
	struct vdomain *d = fake_domain(userdata, domain);
	struct hostdev_list l = { 0 };

	fake_parse(xml, &l);
	d->hostdevs.v = reallocarray(d->hostdevs.v, d->hostdevs.n + 1,
	    sizeof(l.v[0]));
	assert_non_null(d->hostdevs.v);
	d->hostdevs.v[d->hostdevs.n++] = l.v[0];
	free(l.v);
	return 0;
}

static void
fake_remove(struct vdomain *d, size_t i)
{
	free(d->hostdevs.v[i].alias);
	d->hostdevs.v[i] = d->hostdevs.v[--d->hostdevs.n];
}

static int
fake_detach_alias(void *userdata, const char *uri _unused_,
    const char *domain, const char *alias, char **ret_error _unused_)
{
	struct vdomain *d = fake_domain(userdata, domain);

	for (size_t i = 0; i < d->hostdevs.n; i++)
		if (streq_null(d->hostdevs.v[i].alias, alias)) {
			fake_remove(d, i);
			return 0;
		}
	fail_msg("no alias '%s' in '%s'", alias, domain);
	return -ENOENT;
}

static int
fake_detach_xml(void *userdata, const char *uri _unused_, const char *domain,
    const char *xml, char **ret_error _unused_)
{
	struct vdomain *d = fake_domain(userdata, domain);
	_cleanup_(hostdev_list_done) struct hostdev_list l = { 0 };

	fake_parse(xml, &l);
	for (size_t i = 0; i < d->hostdevs.n; i++)
		if (d->hostdevs.v[i].has_address &&
		    d->hostdevs.v[i].bus == l.v[0].bus &&
		    d->hostdevs.v[i].dev == l.v[0].dev) {
			fake_remove(d, i);
			return 0;
		}
	fail_msg("no hostdev at %u:%u in '%s'", l.v[0].bus, l.v[0].dev,
	    domain);
	return -ENOENT;
}

static int
fake_wait_gone(void *userdata _unused_, const char *uri _unused_,
    const char *domain _unused_, const char *alias _unused_,
    char **ret_error _unused_)
{
	return 0;
}

static const struct apply_ops fake_ops = {
	.attach = fake_attach,
	.detach_alias = fake_detach_alias,
	.detach_xml = fake_detach_xml,
	.wait_gone = fake_wait_gone,
};

static char *
report_text(const struct plan *plan)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(report_plan(f, plan, false), 0);
	fclose(f);
	return text;
}

/*
 * Plans the case; with converge, applies the plan to the world through
 * the fake and returns the plan that follows, which must be empty.
 */
static char *
plan_text(const struct pcase *c, bool converge)
{
	struct conf conf = { 0 };
	struct udevsnap devs = { 0 };
	struct virtsnap guests = { 0 };
	struct strv only = { 0 };
	struct plan *plan = NULL;
	char *text;

	assert_int_equal(conf_parse("test.conf", c->conf, strlen(c->conf),
	    &conf), 0);
	parse_devices(c->devices, &devs);
	parse_guests(c->guests, &guests);
	if (c->only != NULL)
		assert_int_equal(strv_push(&only, c->only), 0);
	struct plan_input in = {
		.conf = &conf, .devices = &devs, .guests = &guests,
		.only = (const char *const *)only.v, .n_only = only.n,
	};
	assert_int_equal(plan_build(&in, &plan), 0);
	if (converge) {
		assert_int_equal(apply_plan(plan, &fake_ops, &guests), 0);
		for (size_t i = 0; i < plan->n; i++)
			assert_int_equal(plan->v[i].result, PLAN_DONE);
		plan = plan_free(plan);
		assert_int_equal(plan_build(&in, &plan), 0);
	}
	text = report_text(plan);
	plan_free(plan);
	strv_done(&only);
	free_world(&devs, &guests);
	conf_done(&conf);
	return text;
}

static void
test_plan_cases(void **state _unused_)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *text = NULL;

		print_message("plan: %s\n", cases[i].name);
		text = plan_text(&cases[i], false);
		assert_string_equal(text, cases[i].plan);
	}
}

/* A second sync right after a first plans nothing. */
static void
test_plan_idempotent(void **state _unused_)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *text = NULL;

		if (cases[i].only != NULL)
			continue;       /* a scoped sync leaves the rest on purpose */
		print_message("converge: %s\n", cases[i].name);
		text = plan_text(&cases[i], true);
		assert_string_equal(text, "");
	}
}

/*
 * A host of hundreds of guests and thousands of devices, the guests
 * handed over in no particular order, with every kind of drift: the planner's lookups
 * must find each serial, address and guest, and the plan must hold
 * exactly the actions the drift calls for, after which nothing is left.
 */
#define BIG_GUESTS 300
#define BIG_DEVICES 3000

static unsigned big_seed = 1;

static unsigned
big_rand(void)
{
	big_seed = big_seed * 1103515245u + 12345u;
	return (big_seed >> 16) & 0x7fff;
}

/* Joins the n words of v in a shuffled order, blank-separated. */
static char *
big_join(char **v, size_t n)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	for (size_t i = n; i > 1; i--) {
		size_t k = big_rand() % i;
		char *t = v[i - 1];

		v[i - 1] = v[k];
		v[k] = t;
	}
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%s%s", i > 0 ? " " : "", v[i]);
		free(v[i]);
	}
	assert_int_equal(fclose(f), 0);
	return text;
}

static unsigned
count_lines(const char *text, const char *needle)
{
	unsigned n = 0;

	for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static void
test_plan_big_world(void **state _unused_)
{
	char *devs[BIG_DEVICES];
	char *guests[BIG_GUESTS];
	FILE *gf[BIG_GUESTS];
	size_t glen[BIG_GUESTS];
	_cleanup_free_ char *conf = NULL;
	_cleanup_free_ char *plan = NULL;
	_cleanup_free_ char *after = NULL;
	unsigned missing = 0, readdressed = 0, reassigned = 0;
	size_t conf_len = 0;
	FILE *cf = open_memstream(&conf, &conf_len);
	struct pcase c = { .name = "big world" };

	assert_non_null(cf);
	for (size_t g = 0; g < BIG_GUESTS; g++) {
		guests[g] = NULL;
		gf[g] = open_memstream(&guests[g], &glen[g]);
		assert_non_null(gf[g]);
		fprintf(gf[g], "v%03zu:", g);
		/* One guest in ten holds a hostdev of its admin's, not managed. */
		fprintf(gf[g], "%s", g % 10 == 0 ? "-@250:9," : "");
		fprintf(cf, "[domain \"v%03zu\"]", g);
		for (size_t j = g, k = 0; j < BIG_DEVICES; j += BIG_GUESTS, k++)
			fprintf(cf, "%sS%05zu", k % 16 == 0 ? "\nserials = " : " ", j);
		fprintf(cf, "\n");
	}
	assert_int_equal(fclose(cf), 0);
	for (size_t j = 0; j < BIG_DEVICES; j++) {
		unsigned bus = 1 + j / 120;
		unsigned dev = 2 + j % 120;
		size_t g = j % BIG_GUESTS;

		assert_true(asprintf(&devs[j], "S%05zu@%u:%u/%u-%zu", j, bus,
		    dev, bus, j % 120 + 1) > 0);
		if (j % 7 == 0)                 /* not attached yet */
			missing++;
		else if (j % 11 == 0) {         /* held at its old address */
			fprintf(gf[g], "ua-bbvirt-S%05zu@200:%zu,", j, j % 127);
			readdressed++;
		} else if (j % 13 == 0) {       /* held by the next guest */
			fprintf(gf[(g + 1) % BIG_GUESTS],
			    "ua-bbvirt-S%05zu@%u:%u,", j, bus, dev);
			reassigned++;
		} else
			fprintf(gf[g], "ua-bbvirt-S%05zu@%u:%u,", j, bus, dev);
	}
	for (size_t g = 0; g < BIG_GUESTS; g++) {
		assert_int_equal(fclose(gf[g]), 0);
		if (guests[g][strlen(guests[g]) - 1] == ',')
			guests[g][strlen(guests[g]) - 1] = '\0';
	}
	c.conf = conf;
	c.devices = big_join(devs, BIG_DEVICES);
	c.guests = big_join(guests, BIG_GUESTS);

	plan = plan_text(&c, false);
	assert_int_equal(count_lines(plan, "(missing)\n"),
	    missing + readdressed + reassigned);
	assert_int_equal(count_lines(plan, "(readdressed)\n"), readdressed);
	assert_int_equal(count_lines(plan, "(reassigned)\n"), reassigned);
	assert_int_equal(count_lines(plan, "\n"),
	    missing + 2 * readdressed + 2 * reassigned);
	/* A few by name: the lookups found the right device and guest. */
	assert_non_null(strstr(plan, "attach S00000 1:2 port 1-1 to v000 (missing)\n"));
	assert_non_null(strstr(plan, "detach S00011 200:11 from v011 (readdressed)\n"));
	assert_non_null(strstr(plan, "attach S00011 1:13 port 1-12 to v011 (missing)\n"));
	assert_non_null(strstr(plan, "detach S00013 1:15 port 1-14 from v014 (reassigned)\n"));
	after = plan_text(&c, true);
	assert_string_equal(after, "");
	free((char *)c.devices);
	free((char *)c.guests);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_cases),
		cmocka_unit_test(test_plan_idempotent),
		cmocka_unit_test(test_plan_big_world),
	};

	log_set_stream(fopen("/dev/null", "we"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
