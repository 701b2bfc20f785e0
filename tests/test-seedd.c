/*
 * seedd's section headers, read as bit-babbler's parser reads them: each
 * input and the serials and lines it must give.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "seedd.h"
#include "util.h"

struct scase {
	const char *name;
	const char *in;
	size_t len;             /* 0: strlen(in) */
	const char *devices;    /* "SERIAL@LINE ...", by serial */
	unsigned first;         /* first_device_line */
	unsigned bad;           /* bad_line */
};

#define S126 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" \
	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

#define NUL_NAME "[Device:A\0B]\n[Device:C3]\0junk\n"
#define NUL_FIRST "\0[Device:A1]\n"

static const struct scase cases[] = {
	{ "empty file", "", 0, "", 0, 0 },
	{ "bit-babbler's example, device section commented out",
	  "# Example\n[Service]\n #daemon\n kernel\n ip-freebind\n"
	  " socket-group\t\tadm\n#[Pool]\n #size\t\t\t64k\n#[Device:XYZZY]\n", 0,
	  "", 0, 0 },
	{ "two devices, options and a bare flag",
	  "[Service]\nkernel\n[Device:GK9VZF]\n[Device:HV3ZQC]\n  fold 3\n", 0,
	  "GK9VZF@3 HV3ZQC@4", 3, 0 },
	{ "CRLF", "[Service]\r\nkernel\r\n[Device:A1]\r\n", 0, "A1@3", 3, 0 },
	{ "a lone CR ends a line, as seedd reads it",
	  "[Device:A1]\r[Device:B2]\n[Device:C3]", 0, "A1@1 B2@1 C3@2", 1, 0 },
	{ "blanks and tabs before a header", "  \t [Device:A1]\n", 0, "A1@1", 1, 0 },
	{ "a form feed before '[': an option line to seedd", "\f[Device:A1]\n", 0,
	  "", 0, 0 },
	{ "anything after ']' is ignored", "[Device:A1] # a comment\n", 0,
	  "A1@1", 1, 0 },
	{ "comments start with '#' after blanks", "# [Device:A1]\n  #[Device:B2]\n", 0,
	  "", 0, 0 },
	{ "';' starts no comment", "; note\n[Device:A1]\n", 0, "A1@2", 2, 0 },
	{ "a repeated section is one, at its first line",
	  "[Device:A1]\nfold 1\n[Device:A1]\n", 0, "A1@1", 1, 0 },
	{ "sorted by serial", "[Device:Z9]\n[Device:A1]\n", 0, "A1@2 Z9@1", 1, 0 },
	{ "an empty serial is a device section naming none", "[Service]\n[Device:]\n", 0,
	  "", 2, 0 },
	{ "names are case sensitive", "[device:A1]\n[DEVICE:B2]\n[Devices]\n", 0,
	  "", 0, 0 },
	{ "the first ']' ends the name", "[Device:A1]]\n[Device:B2]x]\n", 0,
	  "A1@1 B2@2", 1, 0 },
	{ "a name seedd may take, not a serial", "[Device:a b]\n[Device:\x01]\n[Device:caf\xc3\xa9]\n", 0,
	  "", 1, 0 },
	{ "126 bytes is a serial, 127 is not",
	  "[Device:" S126 "]\n[Device:" S126 "B]\n", 0, S126 "@1", 1, 0 },
	{ "a name with a NUL byte", NUL_NAME, sizeof(NUL_NAME) - 1, "C3@2", 1, 0 },
	{ "a NUL byte before '[': an option line", NUL_FIRST, sizeof(NUL_FIRST) - 1,
	  "", 0, 0 },
	{ "options before any section", "kernel\n[Device:A1]\n", 0, "A1@2", 2, 0 },
	{ "'[' without ']': seedd stops there",
	  "[Service]\n[Device:A1\n[Device:B2]\n", 0, "", 0, 2 },
	{ "']' on the next line closes nothing", "[Device:A1]\n[Device:B2\n]\n", 0,
	  "A1@1", 1, 2 },
	{ "\"[]\" is refused", "[Device:A1]\n[]\n", 0, "A1@1", 1, 2 },
	{ "\"[] \" is a section with an empty name", "[] \n[Device:A1]\n", 0,
	  "A1@2", 2, 0 },
	{ "a lone '['", "[", 0, "", 0, 1 },
	{ "\"[[Device:A1]\" is no device section", "[[Device:A1]\n", 0, "", 0, 0 },
	{ "port and address IDs are names like serials", "[Device:3-2]\n[Device:5:7]\n", 0,
	  "3-2@1 5:7@2", 1, 0 },
};

static char *
devices_text(const struct seedd_conf *s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	for (size_t i = 0; i < s->n_devices; i++)
		fprintf(f, "%s%s@%u", i > 0 ? " " : "", s->devices[i].serial,
		    s->devices[i].line);
	fclose(f);
	return text;
}

static void
test_seedd_parse(void **state _unused_)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct scase *c = &cases[i];
		_cleanup_(seedd_conf_done) struct seedd_conf s = { 0 };
		_cleanup_free_ char *text = NULL;

		print_message("seedd: %s\n", c->name);
		assert_int_equal(seedd_parse("s.conf", c->in,
		    c->len != 0 ? c->len : strlen(c->in), &s), 0);
		text = devices_text(&s);
		assert_string_equal(text, c->devices);
		assert_int_equal(s.first_device_line, c->first);
		assert_int_equal(s.bad_line, c->bad);
		assert_string_equal(s.file, "s.conf");
		for (size_t k = 0; k < s.n_devices; k++)
			assert_ptr_equal(seedd_find(&s, s.devices[k].serial),
			    &s.devices[k]);
		assert_null(seedd_find(&s, "NOSUCH"));
	}
}

/* Lines of any length are scanned, not copied, and still counted. */
static void
test_seedd_long_lines(void **state _unused_)
{
	size_t n = 1u << 20;
	_cleanup_free_ char *buf = malloc(n + 64);
	_cleanup_(seedd_conf_done) struct seedd_conf s = { 0 };
	int len;

	assert_non_null(buf);
	memset(buf, 'x', n);
	buf[0] = '[';
	len = snprintf(buf + n, 64, "]\nfold 1\n[Device:A1]\n");
	assert_int_equal(seedd_parse("s.conf", buf, n + len, &s), 0);
	assert_int_equal(s.n_devices, 1);
	assert_int_equal(s.devices[0].line, 3);
	assert_int_equal(s.bad_line, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seedd_parse),
		cmocka_unit_test(test_seedd_long_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
