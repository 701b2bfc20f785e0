/*
 * The metrics text: label values escaped as the exposition format asks
 * (table), one small world rendered whole, each device as the sync's
 * results left it, names that escape alike made
 * one series, and a range of hostile worlds checked line by line. With
 * BBVIRT_METRICS_OUT=DIR, every fifth hostile world's text is also
 * written to DIR/world-N.prom, for tests/metrics.sh to hand to promtool.
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

#include "metrics-priv.h"
#include "plan.h"
#include "status.h"
#include "util.h"

static void
test_escape(void **state _unused_)
{
	static const struct { const char *in; const char *out; } cases[] = {
		{ "", "" },
		{ "GK9VZF", "GK9VZF" },
		{ "a\"b", "a\\\"b" },
		{ "a\\b", "a\\\\b" },
		{ "a\nb", "a\\nb" },
		{ "tab\there", "tab\\\\x09here" },
		{ "cr\r", "cr\\\\x0d" },
		{ "del\x7f", "del\\\\x7f" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },               /* é, valid */
		{ "\xe2\x82\xac", "\xe2\x82\xac" },             /* €, valid */
		{ "\xf0\x9f\x92\xa9", "\xf0\x9f\x92\xa9" },     /* U+1F4A9, valid */
		{ "\xef\xbf\xbd", "\xef\xbf\xbd" },             /* U+FFFD itself */
		{ "\xff", "\\\\xff" },
		{ "a\x80z", "a\\\\x80z" },                      /* a lone continuation */
		{ "\xc3", "\\\\xc3" },                          /* cut at the end */
		{ "\xc3z", "\\\\xc3z" },                        /* cut before ASCII */
		{ "\xc0\xaf", "\\\\xc0\\\\xaf" },               /* overlong '/' */
		{ "\xe0\x80\xaf", "\\\\xe0\\\\x80\\\\xaf" },    /* overlong, 3 bytes */
		{ "\xed\xa0\x80", "\\\\xed\\\\xa0\\\\x80" },    /* a surrogate */
		{ "\xf4\x90\x80\x80", "\\\\xf4\\\\x90\\\\x80\\\\x80" }, /* above U+10FFFF */
		{ "\xf5\x80", "\\\\xf5\\\\x80" },
		{ "\xe2\x82", "\\\\xe2\\\\x82" },               /* 2 of 3 bytes */
		{ "\\xff", "\\\\xff" },                         /* the text: reads as the byte would */
		{ "q\"\\\n\xff", "q\\\"\\\\\\n\\\\xff" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *out = NULL;
		char vis[VISIBLE_BUF];

		print_message("escape '%s'\n", str_visible(cases[i].in,
		    strlen(cases[i].in), vis, sizeof(vis)));
		out = metrics_label_escape(cases[i].in);
		assert_non_null(out);
		assert_string_equal(out, cases[i].out);
	}
}

#define DEV_FIELDS(ser, prt, asg, att, st) .serial = (char *)(ser), \
	.port = (char *)(prt), .assigned = (char *)(asg), \
	.attached = (char *)(att), .state = (st), .present = (prt) != NULL
#define DEV(ser, prt, asg, att, st) { DEV_FIELDS(ser, prt, asg, att, st) }

static void
test_render(void **state _unused_)
{
	struct status_device devs[] = {
		DEV("GK9VZF", "3-2", "kvm0", "kvm0", STATUS_ATTACHED),
		DEV("HV3ZQC", "5-2.3", "kvm1", NULL, STATUS_PENDING),
		DEV("QX7ABS", NULL, "kvm1", NULL, STATUS_ABSENT),
		DEV("LX4QPA", "3-4", "kvm1", NULL, STATUS_PENDING),
		DEV(NULL, "1-5", NULL, NULL, STATUS_UNUSABLE),
		DEV("MOUSE01", "1-2", NULL, "web", STATUS_FOREIGN),
	};
	struct status st = { .devices = devs, .n_devices = ARRAY_SIZE(devs) };
	struct plan_action acts[] = {
		{ .op = PLAN_DETACH, .result = PLAN_DONE },
		{ .op = PLAN_ATTACH, .result = PLAN_DONE },
		{ .op = PLAN_ATTACH, .result = PLAN_FAILED },
		{ .op = PLAN_ATTACH, .result = PLAN_STOPPED },
	};
	struct plan plan = { .v = acts, .n = ARRAY_SIZE(acts) };
	struct metrics_sync m = {
		.status = &st, .plan = &plan, .end_usec = 1796671418819394,
		.duration_usec = 9483, .success = false, .released = false,
	};
	static const char want[] =
	    "# HELP bbvirt_last_sync_end_timestamp_seconds When the last sync ended, in seconds since the epoch.\n"
	    "# TYPE bbvirt_last_sync_end_timestamp_seconds gauge\n"
	    "bbvirt_last_sync_end_timestamp_seconds 1796671418.819394\n"
	    "# HELP bbvirt_last_sync_success 1 if the last sync succeeded (exit status 0), else 0.\n"
	    "# TYPE bbvirt_last_sync_success gauge\n"
	    "bbvirt_last_sync_success 0\n"
	    "# HELP bbvirt_sync_duration_seconds How long the last sync took, from taking the lock to its end.\n"
	    "# TYPE bbvirt_sync_duration_seconds gauge\n"
	    "bbvirt_sync_duration_seconds 0.009483\n"
	    "# HELP bbvirt_released 1 while bbvirt release holds (nothing is attached until bbvirt reclaim), else 0.\n"
	    "# TYPE bbvirt_released gauge\n"
	    "bbvirt_released 0\n"
	    "# HELP bbvirt_sync_actions Attaches and detaches of the last sync: planned, and of those done, failed and stopped (the domain stopped meanwhile).\n"
	    "# TYPE bbvirt_sync_actions gauge\n"
	    "bbvirt_sync_actions{op=\"detach\",result=\"planned\"} 1\n"
	    "bbvirt_sync_actions{op=\"detach\",result=\"done\"} 1\n"
	    "bbvirt_sync_actions{op=\"detach\",result=\"failed\"} 0\n"
	    "bbvirt_sync_actions{op=\"detach\",result=\"stopped\"} 0\n"
	    "bbvirt_sync_actions{op=\"attach\",result=\"planned\"} 3\n"
	    "bbvirt_sync_actions{op=\"attach\",result=\"done\"} 1\n"
	    "bbvirt_sync_actions{op=\"attach\",result=\"failed\"} 1\n"
	    "bbvirt_sync_actions{op=\"attach\",result=\"stopped\"} 1\n"
	    "# HELP bbvirt_devices USB devices by domain and state, as the last sync left them.\n"
	    "# TYPE bbvirt_devices gauge\n"
	    "bbvirt_devices{domain=\"\",state=\"no-serial\"} 1\n"
	    "bbvirt_devices{domain=\"kvm0\",state=\"attached\"} 1\n"
	    "bbvirt_devices{domain=\"kvm1\",state=\"absent\"} 1\n"
	    "bbvirt_devices{domain=\"kvm1\",state=\"pending\"} 2\n"
	    "bbvirt_devices{domain=\"web\",state=\"foreign\"} 1\n"
	    "# HELP bbvirt_device One USB device: its domain, state, serial and port (how many devices have these labels).\n"
	    "# TYPE bbvirt_device gauge\n"
	    "bbvirt_device{domain=\"\",state=\"no-serial\",serial=\"\",port=\"1-5\"} 1\n"
	    "bbvirt_device{domain=\"kvm0\",state=\"attached\",serial=\"GK9VZF\",port=\"3-2\"} 1\n"
	    "bbvirt_device{domain=\"kvm1\",state=\"absent\",serial=\"QX7ABS\",port=\"\"} 1\n"
	    "bbvirt_device{domain=\"kvm1\",state=\"pending\",serial=\"HV3ZQC\",port=\"5-2.3\"} 1\n"
	    "bbvirt_device{domain=\"kvm1\",state=\"pending\",serial=\"LX4QPA\",port=\"3-4\"} 1\n"
	    "bbvirt_device{domain=\"web\",state=\"foreign\",serial=\"MOUSE01\",port=\"1-2\"} 1\n";
	_cleanup_free_ char *text = NULL;
	size_t len;

	assert_int_equal(metrics_render(&m, &text, &len), 0);
	assert_string_equal(text, want);
	assert_int_equal(len, strlen(want));
}

/*
 * Each device as the sync left it: the actions status found on it (a
 * full sync's plan), with the results apply gave them.
 */
static void
test_render_after(void **state _unused_)
{
	struct plan_action acts[] = {
		{ .op = PLAN_DETACH, .domain = (char *)"kvm1", .result = PLAN_DONE },   /* 0: MOVED1's old address */
		{ .op = PLAN_DETACH, .domain = (char *)"kvm1", .result = PLAN_DONE },   /* 1: MOVED2's */
		{ .op = PLAN_DETACH, .domain = (char *)"kvm1", .result = PLAN_FAILED }, /* 2: STUCK1's */
		{ .op = PLAN_DETACH, .domain = (char *)"web", .result = PLAN_DONE },    /* 3: FREED1, unassigned */
		{ .op = PLAN_DETACH, .domain = (char *)"kvm1", .result = PLAN_DONE },   /* 4: GONE1, absent */
		{ .op = PLAN_DETACH, .domain = (char *)"kvm0", .result = PLAN_PLANNED }, /* 5: LEFT1's, not tried */
		{ .op = PLAN_DETACH, .domain = (char *)"web", .result = PLAN_DONE },    /* 6: MOUSE1's old address */
		{ .op = PLAN_DETACH, .domain = (char *)"kvm2", .result = PLAN_STOPPED }, /* 7: HELD1's, kvm2 stopped */
		{ .op = PLAN_ATTACH, .domain = (char *)"kvm0", .result = PLAN_DONE },   /* 8: ATT1 */
		{ .op = PLAN_ATTACH, .domain = (char *)"kvm0", .result = PLAN_FAILED }, /* 9: FAIL1 */
		{ .op = PLAN_ATTACH, .domain = (char *)"kvm1", .result = PLAN_DONE },   /* 10: MOVED1 */
		{ .op = PLAN_ATTACH, .domain = (char *)"kvm1", .result = PLAN_FAILED }, /* 11: MOVED2 */
		{ .op = PLAN_ATTACH, .domain = (char *)"kvm1", .result = PLAN_DONE },   /* 12: STUCK1 */
		{ .op = PLAN_ATTACH, .domain = (char *)"kvm2", .result = PLAN_STOPPED }, /* 13: DOWN1 */
	};
	const struct plan_action *att1[] = { &acts[8] };
	const struct plan_action *fail1[] = { &acts[9] };
	const struct plan_action *moved1[] = { &acts[0], &acts[10] };
	const struct plan_action *moved2[] = { &acts[1], &acts[11] };
	const struct plan_action *stuck1[] = { &acts[2], &acts[12] };
	const struct plan_action *freed1[] = { &acts[3] };
	const struct plan_action *gone1[] = { &acts[4] };
	const struct plan_action *down1[] = { &acts[13] };
	const struct plan_action *left1[] = { &acts[5] };
	const struct plan_action *mouse1[] = { &acts[6] };
	const struct plan_action *held1[] = { &acts[7] };
#define ACTS(v) .actions = (v), .n_actions = ARRAY_SIZE(v)
	struct status_device devs[] = {
		{ DEV_FIELDS("ATT1", "1-1", "kvm0", NULL, STATUS_PENDING), ACTS(att1) },
		{ DEV_FIELDS("FAIL1", "1-2", "kvm0", NULL, STATUS_PENDING), ACTS(fail1) },
		{ DEV_FIELDS("MOVED1", "1-3", "kvm1", "kvm1", STATUS_STALE), ACTS(moved1),
		  .holder_detaches = moved1, .n_holder_detaches = 1 },
		{ DEV_FIELDS("MOVED2", "1-4", "kvm1", "kvm1", STATUS_STALE), ACTS(moved2),
		  .holder_detaches = moved2, .n_holder_detaches = 1 },
		{ DEV_FIELDS("STUCK1", "1-5", "kvm1", "kvm1", STATUS_STALE), ACTS(stuck1),
		  .holder_detaches = stuck1, .n_holder_detaches = 1 },
		{ DEV_FIELDS("FREED1", "1-6", NULL, "web", STATUS_STALE), ACTS(freed1),
		  .settled = STATUS_UNASSIGNED, .holder_detaches = freed1,
		  .n_holder_detaches = 1 },
		{ DEV_FIELDS("GONE1", NULL, "kvm1", "kvm1", STATUS_STALE), ACTS(gone1),
		  .settled = STATUS_ABSENT, .holder_detaches = gone1,
		  .n_holder_detaches = 1 },
		{ DEV_FIELDS("DOWN1", "1-7", "kvm2", NULL, STATUS_PENDING), ACTS(down1) },
		{ DEV_FIELDS("LEFT1", "1-8", "kvm0", "kvm0", STATUS_STALE), ACTS(left1),
		  .settled = STATUS_ATTACHED },
		/* Held where it is by a hostdev not bbvirt's, which stays. */
		{ DEV_FIELDS("MOUSE1", "1-9", NULL, "web", STATUS_STALE), ACTS(mouse1),
		  .settled = STATUS_FOREIGN },
		/* Reassigned to kvm0, which does not run; kvm2 stopped meanwhile. */
		{ DEV_FIELDS("HELD1", "1-10", "kvm0", "kvm2", STATUS_STALE), ACTS(held1),
		  .settled = STATUS_DOMAIN_DOWN, .holder_detaches = held1,
		  .n_holder_detaches = 1 },
	};
#undef ACTS
	struct status st = { .devices = devs, .n_devices = ARRAY_SIZE(devs) };
	struct plan plan = { .v = acts, .n = ARRAY_SIZE(acts) };
	struct metrics_sync m = { .status = &st, .plan = &plan };
	static const char *const want[] = {
		"bbvirt_devices{domain=\"\",state=\"unassigned\"} 1",
		"bbvirt_devices{domain=\"kvm0\",state=\"attached\"} 1",
		"bbvirt_devices{domain=\"kvm0\",state=\"domain-down\"} 1",
		"bbvirt_devices{domain=\"kvm0\",state=\"pending\"} 1",
		"bbvirt_devices{domain=\"kvm0\",state=\"stale\"} 1",
		"bbvirt_devices{domain=\"kvm1\",state=\"absent\"} 1",
		"bbvirt_devices{domain=\"kvm1\",state=\"attached\"} 1",
		"bbvirt_devices{domain=\"kvm1\",state=\"pending\"} 1",
		"bbvirt_devices{domain=\"kvm1\",state=\"stale\"} 1",
		"bbvirt_devices{domain=\"kvm2\",state=\"domain-down\"} 1",
		"bbvirt_devices{domain=\"web\",state=\"foreign\"} 1",
		"bbvirt_device{domain=\"\",state=\"unassigned\",serial=\"FREED1\",port=\"1-6\"} 1",
		"bbvirt_device{domain=\"kvm0\",state=\"attached\",serial=\"ATT1\",port=\"1-1\"} 1",
		"bbvirt_device{domain=\"kvm0\",state=\"domain-down\",serial=\"HELD1\",port=\"1-10\"} 1",
		"bbvirt_device{domain=\"kvm0\",state=\"pending\",serial=\"FAIL1\",port=\"1-2\"} 1",
		"bbvirt_device{domain=\"kvm0\",state=\"stale\",serial=\"LEFT1\",port=\"1-8\"} 1",
		"bbvirt_device{domain=\"kvm1\",state=\"absent\",serial=\"GONE1\",port=\"\"} 1",
		"bbvirt_device{domain=\"kvm1\",state=\"attached\",serial=\"MOVED1\",port=\"1-3\"} 1",
		"bbvirt_device{domain=\"kvm1\",state=\"pending\",serial=\"MOVED2\",port=\"1-4\"} 1",
		"bbvirt_device{domain=\"kvm1\",state=\"stale\",serial=\"STUCK1\",port=\"1-5\"} 1",
		"bbvirt_device{domain=\"kvm2\",state=\"domain-down\",serial=\"DOWN1\",port=\"1-7\"} 1",
		"bbvirt_device{domain=\"web\",state=\"foreign\",serial=\"MOUSE1\",port=\"1-9\"} 1",
	};
	_cleanup_free_ char *text = NULL;
	const char *p;
	size_t len;

	assert_int_equal(metrics_render(&m, &text, &len), 0);
	p = strstr(text, "# TYPE bbvirt_devices gauge\n");
	assert_non_null(p);
	p = strchr(p, '\n') + 1;
	/* Every device line, in order, and no other. */
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		if (strncmp(p, "# ", 2) == 0)
			p = strchr(strchr(p, '\n') + 1, '\n') + 1;
		print_message("%s\n", want[i]);
		assert_memory_equal(p, want[i], strlen(want[i]));
		assert_int_equal(p[strlen(want[i])], '\n');
		p += strlen(want[i]) + 1;
	}
	assert_int_equal(*p, '\0');
}

/* A sync that read no devices and planned nothing: a hold in place. */
static void
test_render_held(void **state _unused_)
{
	struct metrics_sync m = { .end_usec = 5, .success = true,
	    .released = true };
	_cleanup_free_ char *text = NULL;
	size_t len;

	assert_int_equal(metrics_render(&m, &text, &len), 0);
	assert_non_null(strstr(text, "\nbbvirt_released 1\n"));
	assert_non_null(strstr(text, "\nbbvirt_last_sync_end_timestamp_seconds 0.000005\n"));
	assert_non_null(strstr(text, "\nbbvirt_sync_actions{op=\"attach\",result=\"planned\"} 0\n"));
	assert_null(strstr(text, "bbvirt_devices{"));
	assert_null(strstr(text, "bbvirt_device{"));
}

/* Names that differ only where the escaping cannot tell them apart. */
static void
test_render_same_labels(void **state _unused_)
{
	struct status_device devs[] = {
		DEV("S1", "1-1", "a\xff", NULL, STATUS_PENDING),
		DEV("S1", "1-1", "a\\xff", NULL, STATUS_PENDING),
	};
	struct status st = { .devices = devs, .n_devices = ARRAY_SIZE(devs) };
	struct metrics_sync m = { .status = &st };
	_cleanup_free_ char *text = NULL;
	size_t len;

	assert_int_equal(metrics_render(&m, &text, &len), 0);
	assert_non_null(strstr(text, "\nbbvirt_devices{domain=\"a\\\\xff\",state=\"pending\"} 2\n"));
	assert_non_null(strstr(text, "\nbbvirt_device{domain=\"a\\\\xff\",state=\"pending\",serial=\"S1\",port=\"1-1\"} 2\n"));
}

/* Whether s is valid UTF-8 throughout. */
static bool
utf8_valid(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		size_t k = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 :
		    c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
		unsigned cp;

		if (k == 0 || i + k > n)
			return false;
		cp = k == 1 ? c : c & (0x7f >> k);
		for (size_t j = 1; j < k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if ((k == 2 && cp < 0x80) || (k == 3 && cp < 0x800) ||
		    (k == 4 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k;
	}
	return true;
}

/*
 * Each line a comment or NAME{LABEL="VALUE",...} NUMBER, every value
 * escaped as the format allows (\\, \" and \n only), and the whole text
 * UTF-8.
 */
static void
check_text(const char *text, size_t len)
{
	const char *p = text;

	assert_true(utf8_valid((const unsigned char *)text, len));
	assert_true(len > 0 && text[len - 1] == '\n');
	while (*p != '\0') {
		const char *eol = strchr(p, '\n');

		assert_non_null(eol);
		if (*p == '#') {
			p = eol + 1;
			continue;
		}
		assert_memory_equal(p, "bbvirt_", 7);
		while (*p != '{' && *p != ' ')
			p++;
		while (*p == '{' || *p == ',') {
			p++;
			while (*p >= 'a' && *p <= 'z')
				p++;
			assert_memory_equal(p, "=\"", 2);
			for (p += 2; *p != '"'; p++) {
				assert_true(*p != '\n' && *p != '\0');
				if (*p == '\\') {
					p++;
					assert_non_null(strchr("\\\"n", *p));
				}
			}
			p++;
			assert_true(*p == ',' || *p == '}');
			if (*p == '}')
				p++;
		}
		assert_int_equal(*p, ' ');
		assert_true(p[1] >= '0' && p[1] <= '9');
		p = eol + 1;
	}
}

/* A deterministic generator: the same worlds every run. */
static uint32_t
next(uint32_t *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 8;
}

/* A name of 0-12 bytes, often from the troublesome ones. */
static char *
hostile_name(uint32_t *seed)
{
	static const char nasty[] = "\"\\\n\r\t\x7f\x80\xbf\xc0\xc3\xa9\xe2\x82\xac\xed\xa0\xf0\x9f\x92\xa9\xf4\x90\xff{}=,# ";
	size_t n = next(seed) % 13;
	char *s = calloc(n + 1, 1);

	assert_non_null(s);
	for (size_t i = 0; i < n; i++) {
		uint32_t k = next(seed);

		s[i] = k % 3 == 0 ? (char)('a' + k % 26) :
		    nasty[k % (sizeof(nasty) - 1)];
		if (s[i] == '\0')
			s[i] = 'z';
	}
	return s;
}

static void
write_out(const char *dir, unsigned w, const char *text, size_t len)
{
	char path[4096];
	FILE *f;

	assert_true(snprintf(path, sizeof(path), "%s/world-%u.prom", dir, w) <
	    (int)sizeof(path));
	f = fopen(path, "we");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void
test_render_hostile(void **state _unused_)
{
	const char *out = getenv("BBVIRT_METRICS_OUT");
	uint32_t seed = 20261207;

	for (unsigned w = 0; w < 200; w++) {
		size_t n = next(&seed) % 12;
		struct status_device *devs = calloc(n + 1, sizeof(*devs));
		struct status st = { .devices = devs, .n_devices = n };
		struct plan_action acts[3] = {
			{ .op = PLAN_DETACH, .result = next(&seed) % _PLAN_RESULT_MAX },
			{ .op = PLAN_ATTACH, .result = next(&seed) % _PLAN_RESULT_MAX },
			{ .op = PLAN_ATTACH, .result = next(&seed) % _PLAN_RESULT_MAX },
		};
		struct plan plan = { .v = acts, .n = next(&seed) % 4 };
		struct metrics_sync m = {
			.status = w % 17 == 0 ? NULL : &st, .plan = &plan,
			.end_usec = (uint64_t)next(&seed) * 1000003,
			.duration_usec = next(&seed), .success = w % 2,
			.released = w % 5 == 0,
		};
		_cleanup_free_ char *text = NULL;
		size_t len;

		print_message("world %u: %zu devices\n", w, n);
		assert_non_null(devs);
		for (size_t i = 0; i < n; i++) {
			devs[i].serial = next(&seed) % 4 ? hostile_name(&seed) : NULL;
			devs[i].port = next(&seed) % 4 ? hostile_name(&seed) : NULL;
			devs[i].assigned = next(&seed) % 3 ? hostile_name(&seed) : NULL;
			devs[i].attached = next(&seed) % 3 ? hostile_name(&seed) : NULL;
			devs[i].state = next(&seed) % _STATUS_STATE_MAX;
		}
		assert_int_equal(metrics_render(&m, &text, &len), 0);
		assert_int_equal(strlen(text), len);
		check_text(text, len);
		/* One in five: each promtool run costs a tenth of a second. */
		if (out != NULL && w % 5 == 0)
			write_out(out, w, text, len);
		for (size_t i = 0; i < n; i++) {
			free(devs[i].serial);
			free(devs[i].port);
			free(devs[i].assigned);
			free(devs[i].attached);
		}
		free(devs);
	}
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_render_after),
		cmocka_unit_test(test_render_held),
		cmocka_unit_test(test_render_same_labels),
		cmocka_unit_test(test_render_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
