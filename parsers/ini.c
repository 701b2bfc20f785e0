#include <errno.h>
#include <ini.h>
#include <string.h>

#include "conf-priv.h"
#include "log.h"

/*
 * Debian's libinih 55 reads at most 199 bytes a line (and hands the handler
 * the rest as a new line), cuts section names at 49 bytes, keeps going
 * after an error and never tells the handler its line. So we feed it
 * through our own reader, which counts lines, refuses what inih would cut,
 * and parses the section headers; the handler sees only keys.
 */
#define INI_LINE_MAX 197        /* inih's 200, less '\r', '\n' and '\0' */
#define INI_SECTION_MAX 49

struct ini_ctx {
	const char *file;
	const char *buf;
	size_t len;
	size_t pos;
	unsigned line;          /* the line inih is working on */
	struct conf *conf;
	struct conf_domain *domain;     /* current [domain], or NULL */
	bool in_defaults;
	bool seen_defaults;
	bool seen_usb_ids;
	int r;                  /* first error, already logged */
};

static int
ini_fail(struct ini_ctx *c, int r)
{
	if (c->r == 0)
		c->r = r;
	return r;
}

static int
visible_error(struct ini_ctx *c, const char *what, const char *s, size_t n)
{
	char vis[VISIBLE_BUF];

	return ini_fail(c, conf_error(c->file, c->line, "expected %s, got '%s'",
	    what, str_visible(s, n, vis, sizeof(vis))));
}

/* Parses '"NAME"' with git's quoting: \" and \\ only. */
static int
parse_quoted(const char *s, size_t n, char **ret)
{
	_cleanup_free_ char *out = NULL;
	size_t o = 0;

	if (n < 2 || s[0] != '"' || s[n - 1] != '"')
		return -EINVAL;
	out = malloc(n);
	if (out == NULL)
		return -ENOMEM;
	for (size_t i = 1; i < n - 1; i++) {
		if (s[i] == '"')
			return -EINVAL;
		if (s[i] == '\\') {
			if (i + 1 >= n - 1 || (s[i + 1] != '"' && s[i + 1] != '\\'))
				return -EINVAL;
			i++;
		}
		out[o++] = s[i];
	}
	out[o] = '\0';
	*ret = TAKE_PTR(out);
	return 0;
}

static int
section_start(struct ini_ctx *c, const char *s, size_t n)
{
	static const char expect[] = "'[defaults]' or '[domain \"NAME\"]'";
	_cleanup_free_ char *name = NULL;
	const char *end = memchr(s, ']', n);
	const char *p;
	size_t k;
	int r;

	if (end == NULL)
		return visible_error(c, expect, s, n);
	for (p = end + 1; p < s + n && (*p == ' ' || *p == '\t'); p++)
		;
	if (p < s + n && *p != ';' && *p != '#')
		return visible_error(c, expect, s, n);
	k = end - (s + 1);
	if (k > INI_SECTION_MAX)
		return ini_fail(c, conf_error(c->file, c->line,
		    "expected a section header of at most %d bytes; use a short label and 'name = LIBVIRT-NAME'",
		    INI_SECTION_MAX));
	c->domain = NULL;
	c->in_defaults = false;
	if (k == 8 && memcmp(s + 1, "defaults", 8) == 0) {
		if (c->seen_defaults)
			return ini_fail(c, conf_error(c->file, c->line,
			    "expected one [defaults] section, got a second"));
		c->seen_defaults = c->in_defaults = true;
		return 0;
	}
	if (k < 7 || memcmp(s + 1, "domain ", 7) != 0)
		return visible_error(c, expect, s, end + 1 - s);
	r = parse_quoted(s + 8, k - 7, &name);
	if (r == -ENOMEM)
		return ini_fail(c, log_oom());
	if (r < 0 || !conf_name_valid(name))
		return visible_error(c, "a domain name in double quotes",
		    s + 8, k - 7);
	c->domain = conf_add_domain(c->conf, name, c->line);
	if (c->domain == NULL)
		return ini_fail(c, log_oom());
	return 0;
}

/* An fgets() for inih over our buffer, one checked line at a time. */
static char *
conf_ini_reader(char *str, int num, void *stream)
{
	struct ini_ctx *c = stream;
	const char *s = c->buf + c->pos;
	const char *nl;
	size_t n;

	if (c->r < 0 || c->pos >= c->len)
		return NULL;
	nl = memchr(s, '\n', c->len - c->pos);
	n = nl != NULL ? (size_t)(nl - s) : c->len - c->pos;
	c->pos += n + (nl != NULL);
	c->line++;
	if (n > 0 && s[n - 1] == '\r')
		n--;
	/* Leading blanks would make inih join this line to the previous value. */
	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	if (n > INI_LINE_MAX || n + 2 > (size_t)num) {
		(void)ini_fail(c, conf_error(c->file, c->line,
		    "expected a line of at most %d bytes; split 'serials =' over several lines",
		    INI_LINE_MAX));
		return NULL;
	}
	if (n > 0 && s[0] == '[' && section_start(c, s, n) < 0)
		return NULL;
	memcpy(str, s, n);
	str[n] = '\n';
	str[n + 1] = '\0';
	return str;
}

/* Splits a value on blanks and commas; a word starting with '#' is a misplaced comment. */
static int
for_each_word(struct ini_ctx *c, const char *value, const char *what,
    int (*fn)(struct ini_ctx *c, const char *word))
{
	const char *p = value;
	unsigned n = 0;

	for (;;) {
		_cleanup_free_ char *word = NULL;
		size_t k;
		int r;

		p += strspn(p, " \t,");
		if (*p == '\0')
			break;
		k = strcspn(p, " \t,");
		if (*p == '#')
			return visible_error(c,
			    "a comment to start with ' ;' after a value", p,
			    strlen(p));
		word = strndup(p, k);
		if (word == NULL)
			return ini_fail(c, log_oom());
		r = fn(c, word);
		if (r < 0)
			return r;
		p += k;
		n++;
	}
	if (n == 0)
		return visible_error(c, what, value, strlen(value));
	return 0;
}

static int
add_serial(struct ini_ctx *c, const char *word)
{
	if (!serial_valid(word))
		return visible_error(c, "a serial number (1-126 printable ASCII characters)",
		    word, strlen(word));
	if (conf_domain_add_serial(c->domain, word, c->line) < 0)
		return ini_fail(c, log_oom());
	return 0;
}

static int
add_port(struct ini_ctx *c, const char *word)
{
	_cleanup_free_ char *port = NULL;
	int r;

	r = conf_port_parse(word, &port);
	if (r == -ENOMEM)
		return ini_fail(c, log_oom());
	if (r < 0)
		return visible_error(c, "a port as BUS-PORT[.PORT...] or a stable path like pci-0000:00:14.0-usb-0:2",
		    word, strlen(word));
	if (conf_domain_add_port(c->domain, port, c->line) < 0)
		return ini_fail(c, log_oom());
	return 0;
}

/* VENDOR:PRODUCT (every device of the type) or VENDOR:PRODUCT/SERIAL (that one). */
static int
add_device(struct ini_ctx *c, const char *word)
{
	char id_text[10];
	struct usb_id id;
	const char *serial = strlen(word) > 9 && word[9] == '/' ? word + 10 :
	    NULL;
	int r;

	if (strlen(word) < 9 || (strlen(word) > 9 && serial == NULL))
		return visible_error(c, "VENDOR:PRODUCT or VENDOR:PRODUCT/SERIAL in hex, like 1a86:7523",
		    word, strlen(word));
	memcpy(id_text, word, 9);
	id_text[9] = '\0';
	if (usb_id_parse(id_text, &id) < 0 ||
	    (serial != NULL && !serial_valid(serial)))
		return visible_error(c, "VENDOR:PRODUCT or VENDOR:PRODUCT/SERIAL in hex, like 1a86:7523",
		    word, strlen(word));
	if (serial == NULL)
		r = conf_domain_add_type(c->domain, id, c->line);
	else {
		r = conf_domain_add_serial(c->domain, serial, c->line);
		if (r == 0) {
			c->domain->serials[c->domain->n_serials - 1].has_id = true;
			c->domain->serials[c->domain->n_serials - 1].id = id;
		}
	}
	if (r < 0)
		return ini_fail(c, log_oom());
	return 0;
}

static int
add_usb_id(struct ini_ctx *c, const char *word)
{
	struct usb_id id;

	if (usb_id_parse(word, &id) < 0)
		return visible_error(c, "a USB id as VENDOR:PRODUCT in hex, like 0403:7840",
		    word, strlen(word));
	if (c->conf->n_usb_ids >= CONF_USB_IDS_MAX)
		return ini_fail(c, conf_error(c->file, c->line,
		    "expected at most %d USB ids", CONF_USB_IDS_MAX));
	if (conf_add_usb_id(c->conf, id) < 0)
		return ini_fail(c, log_oom());
	return 0;
}

static int
set_once(struct ini_ctx *c, char **field, bool *seen, const char *key,
    const char *value, bool (*valid)(const char *), const char *what)
{
	char *v;

	if (*seen)
		return ini_fail(c, conf_error(c->file, c->line,
		    "expected one '%s' in this section, got a second", key));
	if (!valid(value))
		return visible_error(c, what, value, strlen(value));
	v = strdup(value);
	if (v == NULL)
		return ini_fail(c, log_oom());
	free(*field);
	*field = v;
	*seen = true;
	return 0;
}

static int
ini_key(struct ini_ctx *c, const char *key, const char *value)
{
	static const char uri_what[] = "a libvirt URI without blanks";
	struct conf_domain *d = c->domain;
	bool seen;

	if (c->in_defaults && strcmp(key, "uri") == 0) {
		seen = c->conf->uri != NULL;
		return set_once(c, &c->conf->uri, &seen, key, value,
		    conf_uri_valid, uri_what);
	}
	if (c->in_defaults && strcmp(key, "metrics") == 0) {
		seen = c->conf->metrics != NULL;
		return set_once(c, &c->conf->metrics, &seen, key, value,
		    conf_metrics_valid, "an absolute path or 'none'");
	}
	if (c->in_defaults && strcmp(key, "seedd-conf") == 0) {
		seen = c->conf->seedd_conf != NULL;
		return set_once(c, &c->conf->seedd_conf, &seen, key, value,
		    conf_metrics_valid, "an absolute path or 'none'");
	}
	if (c->in_defaults && strcmp(key, "usb-ids") == 0) {
		/* The first usb-ids replaces the built-in BitBabbler default. */
		c->seen_usb_ids = true;
		return for_each_word(c, value, "VENDOR:PRODUCT USB ids",
		    add_usb_id);
	}
	if (d != NULL && strcmp(key, "uri") == 0) {
		seen = d->uri != NULL;
		return set_once(c, &d->uri, &seen, key, value, conf_uri_valid,
		    uri_what);
	}
	if (d != NULL && strcmp(key, "name") == 0) {
		seen = strcmp(d->name, d->key) != 0;
		return set_once(c, &d->name, &seen, key, value, conf_name_valid,
		    "a libvirt domain name");
	}
	if (d != NULL && strcmp(key, "serials") == 0)
		return for_each_word(c, value, "serial numbers", add_serial);
	if (d != NULL && strcmp(key, "ports") == 0)
		return for_each_word(c, value, "ports", add_port);
	if (d != NULL && strcmp(key, "devices") == 0)
		return for_each_word(c, value, "VENDOR:PRODUCT devices",
		    add_device);
	if (!c->in_defaults && d == NULL)
		return ini_fail(c, conf_error(c->file, c->line,
		    "expected a section header before '%s'", key));
	return ini_fail(c, conf_error(c->file, c->line,
	    "expected %s, got '%s'", c->in_defaults ?
	    "'uri', 'usb-ids', 'metrics' or 'seedd-conf' in [defaults]" :
	    "'name', 'uri', 'serials', 'ports' or 'devices' in a domain section",
	    key));
}

static int
conf_ini_handler(void *user, const char *section _unused_, const char *name,
    const char *value)
{
	struct ini_ctx *c = user;

	if (c->r < 0)
		return 0;
	return ini_key(c, name, value) < 0 ? 0 : 1;
}

int
ini_conf_parse(const char *file, const char *buf, size_t len,
    struct conf *conf)
{
	struct ini_ctx c = {
		.file = file, .buf = buf, .len = len, .conf = conf,
	};
	int r;

	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		c.pos = 3;
	r = ini_parse_stream(conf_ini_reader, &c, conf_ini_handler, &c);
	if (c.r < 0)
		return c.r;
	if (r > 0) {
		/* inih refused a line our reader passed: it has no '=' or ':'. */
		const char *s = buf;
		const char *end = buf + len;
		size_t n = 0;

		/* The buffer need not end in a NUL: never look past len. */
		for (int i = 1; i < r; i++)
			s = (const char *)memchr(s, '\n', end - s) + 1;
		while (s + n < end && s[n] != '\r' && s[n] != '\n')
			n++;
		c.line = r;
		return visible_error(&c, "'key = value'", s, n);
	}
	if (r < 0)
		return log_oom();
	return 0;
}
