/*
 * The original's bash vm.conf, read and never run: each fixture in
 * tests/fixtures/legacy/ and the assignment it gives (NAME.json, as
 * bbvirt config --json prints it) or the one line it must log (NAME.err).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf.h"
#include "log.h"
#include "report.h"
#include "util.h"

#define DIR "tests/fixtures/legacy/"

static const struct {
	const char *name;
	int r;
} cases[] = {
	{ "seed-example", 0 },
	{ "multiline", 0 },
	{ "cmdsubst", -EINVAL },
	{ "variable", -EINVAL },
	{ "braces", -EINVAL },
	{ "backticks", -EINVAL },
	{ "if", -EINVAL },
	{ "function", -EINVAL },
	{ "source", -EINVAL },
	{ "eval", -EINVAL },
	{ "heredoc", -EINVAL },
	{ "glob", -EINVAL },
	{ "pipe", -EINVAL },
	{ "unterminated-array", -EINVAL },
	{ "unterminated-quote", -EINVAL },
	{ "bad-serial", -EINVAL },
	{ "scalar-append", -EINVAL },
	{ "name-array", -EINVAL },
	{ "duplicate", -EINVAL },
	{ "same-name", -EINVAL },
};

static char *
slurp(const char *path)
{
	char *buf = NULL;
	size_t len;

	assert_int_equal(read_file(path, 1 << 20, &buf, &len), 0);
	return buf;
}

static void
test_legacy_fixtures(void **state _unused_)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *in = NULL;
		_cleanup_free_ char *want = NULL;
		_cleanup_free_ char *got = NULL;
		struct conf conf = { 0 };
		char path[256];
		size_t len = 0;
		FILE *f;
		int r;

		print_message("legacy: %s\n", cases[i].name);
		(void)snprintf(path, sizeof(path), DIR "%s.conf", cases[i].name);
		in = slurp(path);
		(void)snprintf(path, sizeof(path), DIR "%s.%s", cases[i].name,
		    cases[i].r == 0 ? "json" : "err");
		want = slurp(path);
		f = open_memstream(&got, &len);
		assert_non_null(f);
		log_set_stream(f);
		r = conf_parse(cases[i].name, in, strlen(in), &conf);
		if (r == 0) {
			assert_int_equal(conf.format, CONF_FORMAT_BASH);
			assert_int_equal(report_conf(f, &conf, true), 0);
		}
		log_set_stream(NULL);
		fclose(f);
		conf_done(&conf);
		assert_string_equal(got, want);
		assert_int_equal(r, cases[i].r);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_legacy_fixtures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
