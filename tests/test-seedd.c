/*
 * seedd's section headers, read as bit-babbler's parser reads them, and
 * what seedd's claim means for the config's: each input and the serials,
 * lines and warnings it must give.
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
#include "plan.h"
#include "seedd.h"
#include "seeddclaim.h"
#include "udevsnap.h"
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

/*
 * A world: a config (INI), seedd's config, and the plugged-in devices as
 * "SERIAL@BUS:DEV/PORT[=VVVV:PPPP]" ('-': no serial; the type defaults to
 * the BitBabbler's), or NULL for config, which reads none. The result:
 * "KIND: MESSAGE" lines, then "host: SERIAL..." when devices were read.
 */
struct wcase {
	const char *name;
	const char *conf;
	const char *seedd;
	const char *devices;
	const char *out;
};

#define BB2 "[domain \"vm1\"]\nserials = A1 B2\n"

static const struct wcase worlds[] = {
	{ "config: a serial in both", BB2, "[Device:A1]\n[Device:C3]\n", NULL,
	  "assigned: 'A1' is a seedd device (s.conf:1) and assigned to 'vm1' (t.conf:2): seedd takes it first, at boot; remove one of the two\n" },
	{ "config: apart", BB2, "[Device:C3]\n", NULL, "" },
	{ "config: no device section says nothing without devices", BB2,
	  "[Service]\nkernel\n", NULL, "" },
	{ "config: serials of another managed type cannot name a BitBabbler",
	  "[defaults]\nusb-ids = 1a86:7523\n" BB2, "[Device:A1]\n", NULL, "" },
	{ "config: a BitBabbler by type and serial",
	  "[defaults]\nusb-ids = 1a86:7523\n[domain \"vm1\"]\ndevices = 1a86:7523/B2 0403:7840/A1\n",
	  "[Device:B2]\n[Device:A1]\n", NULL,
	  "assigned: 'A1' is a seedd device (s.conf:2) and assigned to 'vm1' (t.conf:4): seedd takes it first, at boot; remove one of the two\n" },
	{ "config: refused, nothing else checked", BB2, "[Device:A1]\n[Device:B2\n", NULL,
	  "refused: s.conf:2: expected a section header '[NAME]', got one seedd refuses: seedd does not start, and bbvirt checks nothing else in the file\n" },
	{ "status: takes all, one left to the host", BB2, "[Service]\nkernel\n",
	  "A1@3:7/3-2 C3@3:8/3-3 -@3:9/3-4 K1@1:2/1-1=046d:c077",
	  "takes-all: s.conf has no [Device:SERIAL] section, so seedd takes every BitBabbler, also the 1 plugged in that t.conf gives to guests: name there only those the host may use\n"
	  "host: C3\n" },
	{ "status: takes all, none left to the host", BB2, "",
	  "A1@3:7/3-2 B2@3:8/3-3",
	  "takes-all: s.conf has no [Device:SERIAL] section, so seedd takes every BitBabbler, also the 2 plugged in that t.conf gives to guests: name there only those the host may use\n"
	  "host:\n" },
	{ "status: nothing given to guests, nothing said", BB2, "",
	  "C3@3:8/3-3 D4@3:9/3-4", "host: C3 D4\n" },
	{ "status: an empty device section is a device section", BB2, "[Device:]\n",
	  "A1@3:7/3-2 C3@3:8/3-3", "host: C3\n" },
	{ "status: a port rule gives seedd's device", "[domain \"vm1\"]\nports = 3-2\n",
	  "[Device:P1]\n[Device:C3]\n", "P1@3:7/3-2 C3@3:8/3-3",
	  "assigned: 'P1' is a seedd device (s.conf:1) and assigned to 'vm1' (t.conf:2): seedd takes it first, at boot; remove one of the two\n"
	  "host: C3\n" },
	{ "status: once for a serial rule and its device", BB2, "[Device:A1]\n",
	  "A1@3:7/3-2", "assigned: 'A1' is a seedd device (s.conf:1) and assigned to 'vm1' (t.conf:2): seedd takes it first, at boot; remove one of the two\n"
	  "host:\n" },
	{ "status: another type given by type does not count",
	  "[domain \"vm1\"]\ndevices = 1a86:7523\n", "",
	  "-@3:7/3-2=1a86:7523 C3@3:8/3-3", "host: C3\n" },
	{ "status: clones are pasted once", "", "", "C3@3:8/3-3 C3@3:9/3-4",
	  "host: C3\n" },
};

/* Fills u from the world's device words; the strings are u's. */
static void
make_devices(const struct conf *conf, const char *spec, struct udevsnap *u)
{
	_cleanup_free_ char *copy = strdup(spec);
	char *save = NULL;

	assert_non_null(copy);
	for (char *w = strtok_r(copy, " ", &save); w != NULL;
	    w = strtok_r(NULL, " ", &save)) {
		struct usbdev d = { .vendor = 0x0403, .product = 0x7840 };
		char serial[64];
		char port[64];
		unsigned v;
		unsigned p;

		assert_int_equal(sscanf(w, "%63[^@]@%u:%u/%63[^=]", serial,
		    &d.bus, &d.dev, port), 4);
		if (strchr(w, '=') != NULL) {
			assert_int_equal(sscanf(strchr(w, '='), "=%x:%x", &v, &p), 2);
			d.vendor = v;
			d.product = p;
		}
		d.managed = conf_manages(conf, d.vendor, d.product);
		d.port = strdup(port);
		if (strcmp(serial, "-") != 0)
			*(d.managed ? &d.serial : &d.other_serial) = strdup(serial);
		assert_int_equal(GREEDY_APPEND(u->v, u->n, d), 0);
	}
}

static char *
world_text(const struct seeddclaim *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	for (size_t i = 0; i < c->n_warnings; i++)
		fprintf(f, "%s: %s\n", seeddclaim_kind_to_string(c->warnings[i].kind),
		    c->warnings[i].message);
	if (c->devices_read) {
		fprintf(f, "host:");
		for (size_t i = 0; i < c->host.n; i++)
			fprintf(f, " %s", c->host.v[i]);
		fprintf(f, "\n");
	}
	fclose(f);
	return text;
}

static void
test_seedd_claim(void **state _unused_)
{
	for (size_t i = 0; i < ARRAY_SIZE(worlds); i++) {
		const struct wcase *w = &worlds[i];
		_cleanup_(conf_done) struct conf conf = { 0 };
		_cleanup_(seedd_conf_done) struct seedd_conf seedd = { 0 };
		_cleanup_(seeddclaim_done) struct seeddclaim c = { 0 };
		_cleanup_(udevsnap_done) struct udevsnap u = { 0 };
		_cleanup_free_ char *text = NULL;
		struct plan_input in = { .conf = &conf, .devices = &u };

		print_message("claim: %s\n", w->name);
		assert_int_equal(conf_parse("t.conf", w->conf, strlen(w->conf),
		    &conf), 0);
		assert_int_equal(seedd_parse("s.conf", w->seedd, strlen(w->seedd),
		    &seedd), 0);
		if (w->devices != NULL)
			make_devices(&conf, w->devices, &u);
		assert_int_equal(seeddclaim_build(&conf, &seedd,
		    w->devices != NULL ? &in : NULL, &c), 0);
		text = world_text(&c);
		assert_string_equal(text, w->out);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seedd_parse),
		cmocka_unit_test(test_seedd_long_lines),
		cmocka_unit_test(test_seedd_claim),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
