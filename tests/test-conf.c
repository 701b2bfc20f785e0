/*
 * The INI config and the rules both syntaxes share: each good input and
 * the assignment it gives (as bbvirt config --json prints it), each bad
 * input and the one line it must log.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"
#include "log.h"
#include "report.h"
#include "util.h"

struct ccase {
	const char *name;
	const char *in;
	size_t len;             /* 0: strlen(in) */
	const char *out;        /* config --json, or the error line */
};

#define J(doms) "{ \"file\": \"t.conf\", \"format\": \"ini\", \"usb_ids\": [ \"0403:7840\" ], \"domains\": [ " doms " ] }\n"

static const struct ccase good[] = {
	{ "empty file", "", 0,
	  "{ \"file\": \"t.conf\", \"format\": \"bash\", \"usb_ids\": [ \"0403:7840\" ], \"domains\": [ ] }\n" },
	{ "the issue's example",
	  "# full-line comments start with # or ;\n"
	  "[defaults]\n"
	  "uri = qemu:///system        ; optional\n"
	  "usb-ids = 0403:7840         ; BitBabbler\n"
	  "\n"
	  "[domain \"kvm0\"]             ; the libvirt name\n"
	  "uri = qemu+ssh://root@hostb/system\n"
	  "serials = GK9VZF HV3ZQC     ; blanks or commas\n", 0,
	  J("{ \"name\": \"kvm0\", \"uri\": \"qemu+ssh://root@hostb/system\", \"serials\": [ \"GK9VZF\", \"HV3ZQC\" ], \"ports\": [ ], \"devices\": [ ] }") },
	{ "commas, repeats, file order",
	  "[domain \"b\"]\nserials = X1,X2\nserials=X3 ,X4\n[domain \"a\"]\n", 0,
	  J("{ \"name\": \"b\", \"uri\": null, \"serials\": [ \"X1\", \"X2\", \"X3\", \"X4\" ], \"ports\": [ ], \"devices\": [ ] }, { \"name\": \"a\", \"uri\": null, \"serials\": [ ], \"ports\": [ ], \"devices\": [ ] }") },
	{ "name = maps the label",
	  "[domain \"short\"]\nname = a-very-long-libvirt-domain-name-that-would-not-fit-in-a-section-header\nserials = A1\n", 0,
	  J("{ \"name\": \"a-very-long-libvirt-domain-name-that-would-not-fit-in-a-section-header\", \"uri\": null, \"serials\": [ \"A1\" ], \"ports\": [ ], \"devices\": [ ] }") },
	{ "quoted name with escapes", "[domain \"we\\\"ird\\\\vm\"]\n", 0,
	  J("{ \"name\": \"we\\\"ird\\\\vm\", \"uri\": null, \"serials\": [ ], \"ports\": [ ], \"devices\": [ ] }") },
	{ "several usb ids, CRLF, indented keys, BOM",
	  "\xef\xbb\xbf[defaults]\r\n  usb-ids = 0627:0001, 0403:7840\r\nusb-ids = 1d50:6089\r\n", 0,
	  "{ \"file\": \"t.conf\", \"format\": \"ini\", \"usb_ids\": [ \"0627:0001\", \"0403:7840\", \"1d50:6089\" ], \"domains\": [ ] }\n" },
	{ "hostile but printable serials",
	  "[domain \"vm\"]\nserials = <a>&b' \"q\" a-b.c:d/e\n", 0,
	  J("{ \"name\": \"vm\", \"uri\": null, \"serials\": [ \"<a>&b'\", \"\\\"q\\\"\", \"a-b.c:d/e\" ], \"ports\": [ ], \"devices\": [ ] }") },
	/* Found by fuzz-conf: the lexer looped for ever on it. */
	{ "bash: a backslash that ends the file", "DOMAIN_RNG_a=( X1 )\nFOO=bar\\", 0,
	  "{ \"file\": \"t.conf\", \"format\": \"bash\", \"usb_ids\": [ \"0403:7840\" ], \"domains\": [ { \"name\": \"a\", \"uri\": null, \"serials\": [ \"X1\" ], \"ports\": [ ], \"devices\": [ ] } ] }\n" },
	{ "ports in both forms, devices by type and by serial",
	  "[defaults]\nusb-ids = 0403:7840\n"
	  "[domain \"lab\"]\nports = 3-02, pci-0000:00:14.0-usb-0:1.4 ; a UPS\n"
	  "devices = 1a86:7523 0BDA:2838/00000001\nserials = AB12\n"
	  "devices = 0403:6001\n", 0,
	  "{ \"file\": \"t.conf\", \"format\": \"ini\", \"usb_ids\": [ \"0403:7840\" ], \"domains\": [ { \"name\": \"lab\", \"uri\": null, \"serials\": [ \"AB12\" ], \"ports\": [ \"3-2\", \"pci-0000:00:14.0-usb-0:1.4\" ], \"devices\": [ \"1a86:7523\", \"0bda:2838/00000001\", \"0403:6001\" ] } ] }\n" },
	{ "a platform controller's stable path", "[domain \"pi\"]\nports = platform-xhci-hcd.0.auto-usb-0:1.2.3\n", 0,
	  J("{ \"name\": \"pi\", \"uri\": null, \"serials\": [ ], \"ports\": [ \"platform-xhci-hcd.0.auto-usb-0:1.2.3\" ], \"devices\": [ ] }") },
	{ "one port in two spellings is no load-time error",
	  "[domain \"a\"]\nports = 3-2\n[domain \"b\"]\nports = pci-0000:00:14.0-usb-0:2\n", 0,
	  J("{ \"name\": \"a\", \"uri\": null, \"serials\": [ ], \"ports\": [ \"3-2\" ], \"devices\": [ ] }, { \"name\": \"b\", \"uri\": null, \"serials\": [ ], \"ports\": [ \"pci-0000:00:14.0-usb-0:2\" ], \"devices\": [ ] }") },
	{ "a # inside a serial is part of it", "[domain \"vm\"]\nserials = AB#1\n", 0,
	  J("{ \"name\": \"vm\", \"uri\": null, \"serials\": [ \"AB#1\" ], \"ports\": [ ], \"devices\": [ ] }") },
};

static const struct ccase bad[] = {
	{ "unknown section", "[domains]\n", 0,
	  "bbvirt: t.conf:1: expected '[defaults]' or '[domain \"NAME\"]', got '[domains]'\n" },
	{ "unquoted domain", "[domain vm1]\n", 0,
	  "bbvirt: t.conf:1: expected a domain name in double quotes, got 'vm1'\n" },
	{ "unterminated section", "[defaults\n", 0,
	  "bbvirt: t.conf:1: expected '[defaults]' or '[domain \"NAME\"]', got '[defaults'\n" },
	{ "junk after section", "[defaults] x\n", 0,
	  "bbvirt: t.conf:1: expected '[defaults]' or '[domain \"NAME\"]', got '[defaults] x'\n" },
	{ "unknown key in defaults", "[defaults]\nserials = A\n", 0,
	  "bbvirt: t.conf:2: expected 'uri', 'usb-ids', 'metrics' or 'seedd-conf' in [defaults], got 'serials'\n" },
	{ "relative metrics path", "[defaults]\nmetrics = bbvirt.prom\n", 0,
	  "bbvirt: t.conf:2: expected an absolute path or 'none', got 'bbvirt.prom'\n" },
	{ "metrics directory", "[defaults]\nmetrics = /var/lib/\n", 0,
	  "bbvirt: t.conf:2: expected an absolute path or 'none', got '/var/lib/'\n" },
	{ "metrics twice", "[defaults]\nmetrics = none\nmetrics = /x.prom\n", 0,
	  "bbvirt: t.conf:3: expected one 'metrics' in this section, got a second\n" },
	{ "relative seedd-conf path", "[defaults]\nseedd-conf = seedd.conf\n", 0,
	  "bbvirt: t.conf:2: expected an absolute path or 'none', got 'seedd.conf'\n" },
	{ "seedd-conf twice", "[defaults]\nseedd-conf = none\nseedd-conf = /x.conf\n", 0,
	  "bbvirt: t.conf:3: expected one 'seedd-conf' in this section, got a second\n" },
	{ "seedd-conf in a domain", "[domain \"v\"]\nseedd-conf = none\n", 0,
	  "bbvirt: t.conf:2: expected 'name', 'uri', 'serials', 'ports' or 'devices' in a domain section, got 'seedd-conf'\n" },
	{ "metrics in a domain", "[domain \"v\"]\nmetrics = none\n", 0,
	  "bbvirt: t.conf:2: expected 'name', 'uri', 'serials', 'ports' or 'devices' in a domain section, got 'metrics'\n" },
	{ "unknown key in domain", "[domain \"v\"]\nserial = A\n", 0,
	  "bbvirt: t.conf:2: expected 'name', 'uri', 'serials', 'ports' or 'devices' in a domain section, got 'serial'\n" },
	{ "line without =", "[domain \"v\"]\nserials A\n", 0,
	  "bbvirt: t.conf:2: expected 'key = value', got 'serials A'\n" },
	{ "# comment after a value", "[domain \"v\"]\nserials = A # B\n", 0,
	  "bbvirt: t.conf:2: expected a comment to start with ' ;' after a value, got '# B'\n" },
	{ "bad usb id", "[defaults]\nusb-ids = 403:7840\n", 0,
	  "bbvirt: t.conf:2: expected a USB id as VENDOR:PRODUCT in hex, like 0403:7840, got '403:7840'\n" },
	{ "empty serials", "[domain \"v\"]\nserials =\n", 0,
	  "bbvirt: t.conf:2: expected serial numbers, got ''\n" },
	{ "serial too long",
	  "[domain \"v\"]\nserials = 0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\n", 0,
	  "bbvirt: t.conf:2: expected a serial number (1-126 printable ASCII characters), got '0123456789012345678901234567890123456789012345678901234567890123...'\n" },
	{ "uri twice", "[defaults]\nuri = a:///\nuri = b:///\n", 0,
	  "bbvirt: t.conf:3: expected one 'uri' in this section, got a second\n" },
	{ "defaults twice", "[defaults]\n[defaults]\n", 0,
	  "bbvirt: t.conf:2: expected one [defaults] section, got a second\n" },
	{ "domain twice", "[domain \"v\"]\n\n[domain \"v\"]\n", 0,
	  "bbvirt: t.conf:3: domain 'v' is already configured at line 1\n" },
	{ "name collides", "[domain \"a\"]\n[domain \"b\"]\nname = a\n", 0,
	  "bbvirt: t.conf:2: domain 'a' is already configured at line 1\n" },
	{ "serial in two domains",
	  "[domain \"a\"]\nserials = X1\n[domain \"b\"]\nserials = Y X1\n", 0,
	  "bbvirt: t.conf:4: serial 'X1' is already assigned to 'a' at line 2\n" },
	{ "serial twice in one domain", "[domain \"a\"]\nserials = X1\nserials = X1\n", 0,
	  "bbvirt: t.conf:3: serial 'X1' is already listed for 'a' at line 2\n" },
	/* The checks sort; the error must still be the first in config order. */
	{ "first duplicate serial in config order, not in sort order",
	  "[domain \"a\"]\nserials = Z9 A1\n[domain \"b\"]\nserials = Z9\n[domain \"c\"]\nserials = A1\n", 0,
	  "bbvirt: t.conf:4: serial 'Z9' is already assigned to 'a' at line 2\n" },
	{ "a serial three times",
	  "[domain \"a\"]\nserials = X1\n[domain \"b\"]\nserials = X1\n[domain \"c\"]\nserials = X1\n", 0,
	  "bbvirt: t.conf:4: serial 'X1' is already assigned to 'a' at line 2\n" },
	{ "first duplicate name in config order, not in sort order",
	  "[domain \"z\"]\n[domain \"a\"]\n[domain \"a\"]\n[domain \"z\"]\n", 0,
	  "bbvirt: t.conf:3: domain 'a' is already configured at line 2\n" },
	{ "section header over 49 bytes",
	  "[domain \"a-name-of-more-than-forty-nine-bytes-in-all-x\"]\n", 0,
	  "bbvirt: t.conf:1: expected a section header of at most 49 bytes; use a short label and 'name = LIBVIRT-NAME'\n" },
	{ "line over 197 bytes",
	  "[domain \"v\"]\nserials = A1 A2 A3 A4 A5 A6 A7 A8 A9 B1 B2 B3 B4 B5 B6 B7 B8 B9 C1 C2 C3 C4 C5 C6 C7 C8 C9 D1 D2 D3 D4 D5 D6 D7 D8 D9 E1 E2 E3 E4 E5 E6 E7 E8 E9 F1 F2 F3 F4 F5 F6 F7 F8 F9 G1 G2 G3 G4 G5 G6 G7 G8 G9 H1\n", 0,
	  "bbvirt: t.conf:2: expected a line of at most 197 bytes; split 'serials =' over several lines\n" },
	{ "NUL byte", "[defaults]\n\0\n", 13,
	  "bbvirt: t.conf:2: expected text, got a NUL byte\n" },
	{ "invalid UTF-8", "[defaults]\nuri = \xff\n", 0,
	  "bbvirt: t.conf:2: expected UTF-8 text, got byte 0xff\n" },
	{ "overlong UTF-8", "[domain \"\xc0\xaf\"]\n", 0,
	  "bbvirt: t.conf:1: expected UTF-8 text, got byte 0xc0\n" },
	{ "control character in a name", "[domain \"a\x01\"]\n", 0,
	  "bbvirt: t.conf:1: expected a domain name in double quotes, got '\"a\\x01\"'\n" },
	{ "slash in a name", "[domain \"a/b\"]\n", 0,
	  "bbvirt: t.conf:1: expected a domain name in double quotes, got '\"a/b\"'\n" },
	/* Found by fuzz-conf: a parser read past len when the buffer had no NUL. */
	{ "legacy stops at the buffer's end", "DOMAIN_RNG_a=$(x)QQQ", 17,
	  "bbvirt: t.conf:1: expected a plain assignment (the config is parsed, not run; see the INI form in bbvirt.conf(5)), got '$(x)'\n" },
	{ "ini stops at the buffer's end", "[defaults]\nno equals signQQQ", 25,
	  "bbvirt: t.conf:2: expected 'key = value', got 'no equals sign'\n" },
	{ "blank in a uri", "[defaults]\nuri = qemu:/// system\n", 0,
	  "bbvirt: t.conf:2: expected a libvirt URI without blanks, got 'qemu:/// system'\n" },
	{ "a type in two domains", "[domain \"a\"]\ndevices = 1a86:7523\n[domain \"b\"]\ndevices = 1A86:7523\n", 0,
	  "bbvirt: t.conf:4: device type '1a86:7523' is already assigned to 'a' at line 2\n" },
	{ "a type twice in one domain", "[domain \"a\"]\ndevices = 1a86:7523\ndevices = 1a86:7523\n", 0,
	  "bbvirt: t.conf:3: device type '1a86:7523' is already listed for 'a' at line 2\n" },
	{ "serials and devices V:P/S are one rank", "[domain \"a\"]\nserials = X1\n[domain \"b\"]\ndevices = 0403:7840/X1\n", 0,
	  "bbvirt: t.conf:4: serial 'X1' is already assigned to 'a' at line 2\n" },
	{ "one serial on two types", "[domain \"a\"]\ndevices = 0403:7840/X1\n[domain \"b\"]\ndevices = 0403:6001/X1\n", 0,
	  "bbvirt: t.conf:4: serial 'X1' is already assigned to 'a' at line 2\n" },
	{ "a port in two domains", "[domain \"a\"]\nports = 3-2.1\n[domain \"b\"]\nports = 3-2.01\n", 0,
	  "bbvirt: t.conf:4: port '3-2.1' is already assigned to 'a' at line 2\n" },
	{ "a stable port twice in one domain", "[domain \"a\"]\nports = pci-0000:00:14.0-usb-0:2\nports = pci-0000:00:14.0-usb-0:2\n", 0,
	  "bbvirt: t.conf:3: port 'pci-0000:00:14.0-usb-0:2' is already listed for 'a' at line 2\n" },
	{ "a bus:dev is no port", "[domain \"a\"]\nports = 3:7\n", 0,
	  "bbvirt: t.conf:2: expected a port as BUS-PORT[.PORT...] or a stable path like pci-0000:00:14.0-usb-0:2, got '3:7'\n" },
	{ "a stable path with port 0", "[domain \"a\"]\nports = pci-0000:00:14.0-usb-0:0\n", 0,
	  "bbvirt: t.conf:2: expected a port as BUS-PORT[.PORT...] or a stable path like pci-0000:00:14.0-usb-0:2, got 'pci-0000:00:14.0-usb-0:0'\n" },
	{ "a stable path without a controller", "[domain \"a\"]\nports = usb-0:2\n", 0,
	  "bbvirt: t.conf:2: expected a port as BUS-PORT[.PORT...] or a stable path like pci-0000:00:14.0-usb-0:2, got 'usb-0:2'\n" },
	{ "a device without product", "[domain \"a\"]\ndevices = 1a86\n", 0,
	  "bbvirt: t.conf:2: expected VENDOR:PRODUCT or VENDOR:PRODUCT/SERIAL in hex, like 1a86:7523, got '1a86'\n" },
	{ "a device with an empty serial", "[domain \"a\"]\ndevices = 1a86:7523/\n", 0,
	  "bbvirt: t.conf:2: expected VENDOR:PRODUCT or VENDOR:PRODUCT/SERIAL in hex, like 1a86:7523, got '1a86:7523/'\n" },
	{ "ports in defaults", "[defaults]\nports = 3-2\n", 0,
	  "bbvirt: t.conf:2: expected 'uri', 'usb-ids', 'metrics' or 'seedd-conf' in [defaults], got 'ports'\n" },
};

static char *
parse_to_text(const struct ccase *c, int *ret_r)
{
	struct conf conf = { 0 };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	log_set_stream(f);
	*ret_r = conf_parse("t.conf", c->in, c->len != 0 ? c->len : strlen(c->in),
	    &conf);
	if (*ret_r == 0)
		assert_int_equal(report_conf(f, &conf, true), 0);
	log_set_stream(NULL);
	fclose(f);
	conf_done(&conf);
	return text;
}

static void
test_conf_good(void **state _unused_)
{
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		_cleanup_free_ char *text = NULL;
		int r;

		print_message("good: %s\n", good[i].name);
		text = parse_to_text(&good[i], &r);
		assert_string_equal(text, good[i].out);
		assert_int_equal(r, 0);
	}
}

static void
test_conf_bad(void **state _unused_)
{
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		_cleanup_free_ char *text = NULL;
		int r;

		print_message("bad: %s\n", bad[i].name);
		text = parse_to_text(&bad[i], &r);
		assert_string_equal(text, bad[i].out);
		assert_int_equal(r, -EINVAL);
	}
}

static void
test_conf_path(void **state _unused_)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "vm", "/etc/bit-babbler/vm.conf" },
		{ "other", "/etc/bit-babbler/other.conf" },
		{ "lab.conf", "/etc/bit-babbler/lab.conf" },
		{ "lab.conf.conf", "/etc/bit-babbler/lab.conf.conf" },
		{ ".conf", "/etc/bit-babbler/.conf.conf" },
		{ "./vm", "./vm" },
		{ "/srv/x.ini", "/srv/x.ini" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *p = NULL;

		print_message("path: %s\n", cases[i].in);
		assert_int_equal(conf_path(cases[i].in, &p), 0);
		assert_string_equal(p, cases[i].out);
	}
}

/* conf_load() refuses files others may change, as sshd does. */
static void
test_conf_load_modes(void **state _unused_)
{
	static const struct { mode_t mode; int r; const char *log; } cases[] = {
		{ 0644, 0, "" },
		{ 0600, 0, "" },
		{ 0664, -EPERM, "refusing a config writable by group or others (mode 0664)" },
		{ 0646, -EPERM, "refusing a config writable by group or others (mode 0646)" },
	};
	char dir[] = "/tmp/bbvirt-test-XXXXXX";
	char path[64];

	assert_non_null(mkdtemp(dir));
	(void)snprintf(path, sizeof(path), "%s/vm.conf", dir);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct conf conf = { 0 };
		char *text = NULL;
		size_t len = 0;
		FILE *f;

		print_message("mode %04o\n", (unsigned)cases[i].mode);
		f = fopen(path, "we");
		assert_non_null(f);
		fputs("DOMAIN_RNG_vm=( A1 )\n", f);
		fclose(f);
		assert_int_equal(chmod(path, cases[i].mode), 0);
		f = open_memstream(&text, &len);
		log_set_stream(f);
		assert_int_equal(conf_load(path, &conf), cases[i].r);
		log_set_stream(NULL);
		fclose(f);
		if (cases[i].log[0] == '\0')
			assert_string_equal(text, "");
		else
			assert_non_null(strstr(text, cases[i].log));
		free(text);
		conf_done(&conf);
	}
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

/*
 * The largest config bbvirt takes, in both syntaxes: every serial finds
 * its domain, and one domain more is refused at its own line.
 */
static char *
many_domains(enum conf_format format, size_t n)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	for (size_t i = 0; i < n; i++)
		if (format == CONF_FORMAT_INI)
			fprintf(f, "[domain \"d%04zu\"]\nserials = A%04zu B%04zu\n",
			    i, i, i);
		else
			fprintf(f, "DOMAIN_RNG_d%04zu=(A%04zu B%04zu)\n", i, i, i);
	assert_int_equal(fclose(f), 0);
	return text;
}

/* What each rule makes managed, and the lookups the planner makes. */
/* metrics = PATH or none, and seedd-conf alike, kept as written for the front end. */
static void
test_conf_metrics(void **state _unused_)
{
	static const struct { const char *in; const char *metrics; const char *seedd; } cases[] = {
		{ "[defaults]\nuri = test:///default\n", NULL, NULL },
		{ "[defaults]\nmetrics = none\n", "none", NULL },
		{ "[defaults]\nmetrics = /srv/prom/bbvirt.prom ; here\n", "/srv/prom/bbvirt.prom", NULL },
		{ "[defaults]\nseedd-conf = none\n", NULL, "none" },
		{ "[defaults]\nseedd-conf = /srv/bb/seedd.conf ; here\nmetrics = none\n", "none", "/srv/bb/seedd.conf" },
		{ "DOMAIN_NAME_0=vm\n", NULL, NULL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_(conf_done) struct conf conf = { 0 };

		print_message("metrics: %s", cases[i].in);
		assert_int_equal(conf_parse("t.conf", cases[i].in,
		    strlen(cases[i].in), &conf), 0);
		if (cases[i].metrics == NULL)
			assert_null(conf.metrics);
		else
			assert_string_equal(conf.metrics, cases[i].metrics);
		if (cases[i].seedd == NULL)
			assert_null(conf.seedd_conf);
		else
			assert_string_equal(conf.seedd_conf, cases[i].seedd);
	}
}

static void
test_conf_rules(void **state _unused_)
{
	static const char in[] =
	    "[defaults]\nusb-ids = 0403:7840\n"
	    "[domain \"a\"]\nports = 3-2 pci-0000:00:14.0-usb-0:1.4\n"
	    "[domain \"b\"]\ndevices = 1a86:7523 0bda:2838/SDR1\n";
	static const struct {
		uint16_t vendor;
		uint16_t product;
		bool managed;
		const char *type_domain;
	} ids[] = {
		{ 0x0403, 0x7840, true, NULL },         /* usb-ids */
		{ 0x1a86, 0x7523, true, "b" },          /* devices = V:P */
		{ 0x0bda, 0x2838, true, NULL },         /* devices = V:P/S */
		{ 0x046d, 0xc52b, false, NULL },
	};
	_cleanup_(conf_done) struct conf conf = { 0 };
	const struct conf_domain *d = NULL;
	const struct conf_serial *s;
	const struct conf_rule_ref *r;

	assert_int_equal(conf_parse("t.conf", in, strlen(in), &conf), 0);
	assert_true(conf_assigns(&conf));
	for (size_t i = 0; i < ARRAY_SIZE(ids); i++) {
		print_message("type %04x:%04x\n", ids[i].vendor, ids[i].product);
		assert_int_equal(conf_manages(&conf, ids[i].vendor,
		    ids[i].product), ids[i].managed);
		r = conf_type_rule(&conf, ids[i].vendor, ids[i].product);
		if (ids[i].type_domain == NULL) {
			assert_null(r);
			continue;
		}
		assert_non_null(r);
		assert_string_equal(conf.domains[r->domain].name,
		    ids[i].type_domain);
		assert_int_equal(conf_rule_line(&conf, r), 6);
	}
	r = conf_port_rule(&conf, "pci-0000:00:14.0-usb-0:1.4");
	assert_non_null(r);
	assert_int_equal(r->domain, 0);
	assert_int_equal(conf_rule_line(&conf, r), 4);
	assert_null(conf_port_rule(&conf, "3-2.1"));
	s = conf_serial_rule(&conf, "SDR1", &d);
	assert_non_null(s);
	assert_true(s->has_id);
	assert_int_equal(s->id.product, 0x2838);
	assert_string_equal(d->name, "b");
}

static void
test_conf_many_domains(void **state _unused_)
{
	static const struct {
		enum conf_format format;
		unsigned lines;         /* per domain */
	} syntaxes[] = { { CONF_FORMAT_INI, 2 }, { CONF_FORMAT_BASH, 1 } };

	for (size_t k = 0; k < ARRAY_SIZE(syntaxes); k++) {
		_cleanup_free_ char *ok = many_domains(syntaxes[k].format,
		    CONF_DOMAINS_MAX);
		_cleanup_free_ char *over = many_domains(syntaxes[k].format,
		    CONF_DOMAINS_MAX + 1);
		_cleanup_free_ char *got = NULL;
		_cleanup_free_ char *want = NULL;
		struct conf conf = { 0 };
		size_t len = 0;
		FILE *f;

		assert_int_equal(conf_parse("t.conf", ok, strlen(ok), &conf), 0);
		assert_int_equal(conf.format, syntaxes[k].format);
		assert_int_equal(conf.n_domains, CONF_DOMAINS_MAX);
		for (size_t i = 0; i < CONF_DOMAINS_MAX; i++) {
			char serial[16];
			char name[16];

			(void)snprintf(name, sizeof(name), "d%04zu", i);
			(void)snprintf(serial, sizeof(serial), "B%04zu", i);
			assert_non_null(conf_domain_of(&conf, serial));
			assert_string_equal(conf_domain_of(&conf, serial)->name,
			    name);
			assert_ptr_equal(conf_find_domain(&conf, name),
			    conf_domain_of(&conf, serial));
		}
		assert_null(conf_domain_of(&conf, "C0000"));
		assert_null(conf_domain_of(&conf, "A"));
		conf_done(&conf);

		f = open_memstream(&got, &len);
		assert_non_null(f);
		log_set_stream(f);
		assert_int_equal(conf_parse("t.conf", over, strlen(over), &conf),
		    -EINVAL);
		log_set_stream(NULL);
		fclose(f);
		assert_true(asprintf(&want,
		    "bbvirt: t.conf:%u: expected at most %d domains\n",
		    CONF_DOMAINS_MAX * syntaxes[k].lines + 1,
		    CONF_DOMAINS_MAX) > 0);
		assert_string_equal(got, want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_good),
		cmocka_unit_test(test_conf_bad),
		cmocka_unit_test(test_conf_many_domains),
		cmocka_unit_test(test_conf_metrics),
		cmocka_unit_test(test_conf_rules),
		cmocka_unit_test(test_conf_path),
		cmocka_unit_test(test_conf_load_modes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
