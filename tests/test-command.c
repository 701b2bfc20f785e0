/*
 * The decisions that depend on the command (reconcile/command.c), and the
 * class of each refusal: tables of what bbvirt(1) says each command does,
 * asked of the functions every front end asks.
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

#include "command.h"
#include "conf.h"
#include "plan.h"
#include "udevsnap.h"
#include "util.h"
#include "virtsnap.h"

#define TWO_URIS "[domain \"vm1\"]\nuri = u1\nserials = A1\n" \
	"[domain \"vm2\"]\nuri = u2\nserials = B2\n"
#define ONE_LOCAL "[domain \"vm1\"]\nserials = A1\n"

static void
test_command_names(void **state _unused_)
{
	for (int c = 0; c < _COMMAND_MAX; c++) {
		print_message("command %d '%s'\n", c, command_to_string(c));
		assert_non_null(command_to_string(c));
		assert_int_equal(command_from_string(command_to_string(c)), c);
	}
	assert_int_equal(command_from_string("Sync"), -EINVAL);
	assert_int_equal(command_from_string(""), -EINVAL);
	assert_int_equal(command_from_string("attach-"), -EINVAL);
	assert_null(command_to_string(_COMMAND_MAX));
}

/* Whether it locks, and what a hold makes of it, as bbvirt(1) says. */
static void
test_command_hold(void **state _unused_)
{
	static const struct {
		enum command c;
		unsigned bus;           /* -b: the udev form */
		bool dry_run;
		bool event;
		bool changes;
		enum command_hold hold;
		bool metrics;
	} cases[] = {
		{ COMMAND_SYNC, 0, false, false, true, COMMAND_HOLD_QUIET, true },
		{ COMMAND_SYNC, 0, true, false, false, COMMAND_HOLD_QUIET, false },
		{ COMMAND_STATUS, 0, false, false, false, COMMAND_HOLD_GO_ON, false },
		{ COMMAND_CONFIG, 0, false, false, false, COMMAND_HOLD_UNREAD, false },
		{ COMMAND_ATTACH, 0, false, false, true, COMMAND_HOLD_REFUSED, false },
		{ COMMAND_ATTACH, 3, false, true, true, COMMAND_HOLD_QUIET, false },
		{ COMMAND_ATTACH, 3, true, true, false, COMMAND_HOLD_QUIET, false },
		{ COMMAND_DETACH, 0, false, false, true, COMMAND_HOLD_GO_ON, false },
		{ COMMAND_DETACH, 3, false, true, true, COMMAND_HOLD_GO_ON, false },
		{ COMMAND_ATTACH_ALL, 0, false, false, true, COMMAND_HOLD_REFUSED, false },
		{ COMMAND_DETACH_ALL, 0, false, false, true, COMMAND_HOLD_GO_ON, false },
		{ COMMAND_RELEASE, 0, false, false, true, COMMAND_HOLD_UNREAD, false },
		{ COMMAND_RELEASE, 0, true, false, false, COMMAND_HOLD_UNREAD, false },
		{ COMMAND_RECLAIM, 0, false, false, true, COMMAND_HOLD_UNREAD, true },
		{ COMMAND_RESTORE_FILTER, 0, false, false, false, COMMAND_HOLD_UNREAD, false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct command_line cl = { .command = cases[i].c,
		    .bus = cases[i].bus, .dry_run = cases[i].dry_run };

		print_message("%s -b %u%s\n", command_to_string(cl.command),
		    cl.bus, cl.dry_run ? " -n" : "");
		assert_int_equal(command_is_event(&cl), cases[i].event);
		assert_int_equal(command_changes(&cl), cases[i].changes);
		assert_string_equal(command_hold_to_string(command_hold(&cl)),
		    command_hold_to_string(cases[i].hold));
		assert_int_equal(command_writes_metrics(&cl), cases[i].metrics);
	}
}

/* bbvirt(1), EXIT STATUS: a refusal typed by a person, and from udev. */
static void
test_refusal_class(void **state _unused_)
{
	static const struct {
		enum plan_refusal_kind k;
		enum plan_refusal_class human;
		enum plan_refusal_class event;
	} cases[] = {
		{ PLAN_REFUSE_MALFORMED, PLAN_REFUSAL_USAGE, PLAN_REFUSAL_USAGE },
		{ PLAN_REFUSE_MISMATCH, PLAN_REFUSAL_USAGE, PLAN_REFUSAL_USAGE },
		{ PLAN_REFUSE_NOT_PLUGGED, PLAN_REFUSAL_USAGE, PLAN_REFUSAL_RUNTIME },
		{ PLAN_REFUSE_UNMANAGED, PLAN_REFUSAL_USAGE, PLAN_REFUSAL_QUIET },
		{ PLAN_REFUSE_NO_SERIAL, PLAN_REFUSAL_USAGE, PLAN_REFUSAL_QUIET },
		{ PLAN_REFUSE_SHARED, PLAN_REFUSAL_USAGE, PLAN_REFUSAL_QUIET },
		{ PLAN_REFUSE_UNASSIGNED, PLAN_REFUSAL_USAGE, PLAN_REFUSAL_QUIET },
		{ PLAN_REFUSE_NO_DOMAIN, PLAN_REFUSAL_USAGE, PLAN_REFUSAL_RUNTIME },
		{ PLAN_REFUSE_REMOTE, PLAN_REFUSAL_USAGE, PLAN_REFUSAL_RUNTIME },
		{ PLAN_REFUSE_UNREACHABLE, PLAN_REFUSAL_RUNTIME, PLAN_REFUSAL_RUNTIME },
		{ PLAN_REFUSE_DOMAIN_DOWN, PLAN_REFUSAL_RUNTIME, PLAN_REFUSAL_QUIET },
		{ PLAN_REFUSE_HELD_ELSEWHERE, PLAN_REFUSAL_USAGE, PLAN_REFUSAL_RUNTIME },
		{ PLAN_REFUSE_FOREIGN, PLAN_REFUSAL_USAGE, PLAN_REFUSAL_RUNTIME },
		{ PLAN_REFUSE_AMBIGUOUS, PLAN_REFUSAL_USAGE, PLAN_REFUSAL_QUIET },
		{ PLAN_REFUSE_HUB, PLAN_REFUSAL_USAGE, PLAN_REFUSAL_QUIET },
		{ PLAN_REFUSE_BUSY, PLAN_REFUSAL_RUNTIME, PLAN_REFUSAL_QUIET },
	};

	assert_int_equal(ARRAY_SIZE(cases), _PLAN_REFUSE_MAX);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		print_message("refusal %s\n",
		    plan_refusal_kind_to_string(cases[i].k));
		assert_int_equal(plan_refusal_classify(cases[i].k, false),
		    cases[i].human);
		assert_int_equal(plan_refusal_classify(cases[i].k, true),
		    cases[i].event);
	}
}

/* One BitBabbler, A1 at 3:7 on port 3-2. */
static void
one_device(struct udevsnap *u, struct usbdev *d)
{
	*d = (struct usbdev){ .serial = (char *)"A1", .vendor = 0x0403,
	    .product = 0x7840, .managed = true, .bus = 3, .dev = 7,
	    .port = (char *)"3-2", .connector = "3-2" };
	*u = (struct udevsnap){ .v = d, .n = 1 };
}

/*
 * Splits line, "COMMAND [WORD] [-b BUS] [-d DEV]", into cl; words
 * points into line.
 */
static void
read_line(char *line, char **words, struct command_line *cl)
{
	char *save = NULL;
	char *w;
	int r = command_from_string(strtok_r(line, " ", &save));

	assert_true(r >= 0);
	*cl = (struct command_line){ .command = r, .args = words };
	while ((w = strtok_r(NULL, " ", &save)) != NULL) {
		if (strcmp(w, "-b") == 0)
			cl->bus = strtoul(strtok_r(NULL, " ", &save), NULL, 10);
		else if (strcmp(w, "-d") == 0)
			cl->dev = strtoul(strtok_r(NULL, " ", &save), NULL, 10);
		else
			words[cl->n_args++] = w;
	}
}

/*
 * Which daemons each command asks: "ask [default] URI...", or why it
 * asks none. A one-device command's DEVICE is resolved first, as the
 * verbs do.
 */
static void
test_command_libvirt(void **state _unused_)
{
	static const struct {
		const char *conf;
		const char *line;
		const char *want;
	} cases[] = {
		{ "", "sync", "unassigned" },
		{ "", "attach-all", "unassigned" },
		{ "", "detach-all", "unassigned" },
		{ "", "reclaim", "unassigned" },
		{ "", "status", "ask default" },
		{ "", "release", "ask default" },
		{ TWO_URIS, "sync", "ask u1 u2" },
		{ TWO_URIS, "sync vm2", "ask u1 u2" },
		{ TWO_URIS, "sync vm3", "ask default u1 u2" },
		{ TWO_URIS, "release", "ask u1 u2" },
		{ TWO_URIS, "detach-all vm1", "ask u1 u2" },
		{ TWO_URIS, "attach A1", "ask u1" },
		{ TWO_URIS, "attach 3:7", "ask u1" },
		{ TWO_URIS, "attach A1 -b 3 -d 7", "ask u1" },
		{ ONE_LOCAL, "attach A1", "ask default" },
		/* Unplugged, serial given: its rule's domain. */
		{ TWO_URIS, "detach B2 -b 3 -d 9", "ask u2" },
		/* A remove event without serial, or of a serial no rule names. */
		{ TWO_URIS, "detach 3:9 -b 3 -d 9", "no-serial" },
		{ TWO_URIS, "detach Z9 -b 3 -d 9", "nowhere" },
		/* Typed by a person, the same: every daemon is asked. */
		{ TWO_URIS, "detach Z9", "ask u1 u2" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_(conf_done) struct conf conf = { 0 };
		_cleanup_(strv_done) struct strv uris = { 0 };
		_cleanup_(strv_done) struct strv scope = { 0 };
		_cleanup_free_ char *line = strdup(cases[i].line);
		struct virtsnap guests = { 0 };
		struct plan_refusal ref = { 0 };
		struct plan_request one = { 0 };
		struct command_line cl;
		struct udevsnap u;
		struct usbdev d;
		struct plan_input in;
		enum command_libvirt why;
		bool with_default;
		char *words[4] = { NULL };
		char got[256];
		int n;

		print_message("%s (case %zu)\n", cases[i].line, i);
		assert_int_equal(conf_parse("test.conf", cases[i].conf,
		    strlen(cases[i].conf), &conf), 0);
		one_device(&u, &d);
		in = (struct plan_input){ .conf = &conf, .devices = &u,
		    .guests = &guests };
		read_line(line, words, &cl);
		assert_int_equal(command_input(&cl, &in, &one, &scope, &ref), 1);
		assert_int_equal(command_libvirt(&cl, &conf, &in,
		    cl.command == COMMAND_ATTACH || cl.command == COMMAND_DETACH ?
		    &one : NULL, &uris, &with_default, &why), 0);
		n = snprintf(got, sizeof(got), "%s%s", command_libvirt_to_string(why),
		    with_default ? " default" : "");
		for (size_t k = 0; k < uris.n; k++)
			n += snprintf(got + n, sizeof(got) - n, " %s", uris.v[k]);
		assert_string_equal(got, cases[i].want);
	}
}

/* The planner's input each command makes. */
static void
test_command_input(void **state _unused_)
{
	_cleanup_(conf_done) struct conf conf = { 0 };
	_cleanup_(strv_done) struct strv scope = { 0 };
	char *words[] = { (char *)"vm2", NULL };
	struct virtsnap guests = { 0 };
	struct plan_refusal ref = { 0 };
	struct plan_request one = { 0 };
	struct udevsnap u;
	struct usbdev d;
	struct plan_input in;
	struct command_line cl = { .command = COMMAND_SYNC, .args = words,
	    .n_args = 1, .domain = "vm1", .connect = "test:///x" };

	assert_int_equal(conf_parse("test.conf", TWO_URIS, strlen(TWO_URIS),
	    &conf), 0);
	one_device(&u, &d);
	/* sync vm2 -D vm1: both, in that order; -c reaches the planner. */
	in = (struct plan_input){ .conf = &conf, .devices = &u, .guests = &guests };
	assert_int_equal(command_input(&cl, &in, &one, &scope, &ref), 1);
	assert_int_equal(in.n_only, 2);
	assert_string_equal(in.only[0], "vm2");
	assert_string_equal(in.only[1], "vm1");
	assert_string_equal(in.uri_override, "test:///x");
	assert_null(in.requests);
	/* release: the flag alone. */
	in = (struct plan_input){ .conf = &conf, .devices = &u, .guests = &guests };
	cl = (struct command_line){ .command = COMMAND_RELEASE };
	assert_int_equal(command_input(&cl, &in, &one, &scope, &ref), 1);
	assert_true(in.release);
	assert_null(in.requests);
	/* detach-all vm2: one request, for all of it. */
	in = (struct plan_input){ .conf = &conf, .devices = &u, .guests = &guests };
	cl = (struct command_line){ .command = COMMAND_DETACH_ALL,
	    .args = words, .n_args = 1 };
	assert_int_equal(command_input(&cl, &in, &one, &scope, &ref), 1);
	assert_int_equal(in.n_requests, 1);
	assert_ptr_equal(in.requests, &one);
	assert_true(one.all);
	assert_int_equal(one.op, PLAN_DETACH);
	assert_string_equal(one.domain, "vm2");
	/* attach of a device nobody plugged in: refused, no request. */
	in = (struct plan_input){ .conf = &conf, .devices = &u, .guests = &guests };
	words[0] = (char *)"Z9";
	cl = (struct command_line){ .command = COMMAND_ATTACH, .args = words,
	    .n_args = 1 };
	assert_int_equal(command_input(&cl, &in, &one, &scope, &ref), 0);
	assert_int_equal(ref.kind, PLAN_REFUSE_NOT_PLUGGED);
	assert_null(in.requests);
	plan_refusal_done(&ref);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_command_names),
		cmocka_unit_test(test_command_hold),
		cmocka_unit_test(test_refusal_class),
		cmocka_unit_test(test_command_libvirt),
		cmocka_unit_test(test_command_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
