#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf-priv.h"
#include "devspec.h"
#include "legacy.h"
#include "log.h"

static const char *const conf_format_table[_CONF_FORMAT_MAX] = {
	[CONF_FORMAT_BASH] = "bash",
	[CONF_FORMAT_INI] = "ini",
};

DEFINE_STRING_TABLE_LOOKUP(conf_format, enum conf_format)

int
conf_error(const char *file, unsigned line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return log_error_errno(-EINVAL, "%s:%u: %s", file, line, msg);
}

int
conf_path(const char *arg, char **ret)
{
	size_t n = strlen(arg);
	/* The original took NAME and NAME.conf alike. */
	bool suffixed = n > 5 && strcmp(arg + n - 5, ".conf") == 0;
	char *p;

	if (strchr(arg, '/') != NULL)
		p = strdup(arg);
	else if (asprintf(&p, "%s/%.*s.conf", CONF_DIR,
	    (int)(suffixed ? n - 5 : n), arg) < 0)
		p = NULL;
	if (p == NULL)
		return -ENOMEM;
	*ret = p;
	return 0;
}

int
usb_id_parse(const char *s, struct usb_id *ret)
{
	unsigned long long v;
	unsigned long long p;
	char buf[5];

	if (strlen(s) != 9 || s[4] != ':')
		return -EINVAL;
	memcpy(buf, s, 4);
	buf[4] = '\0';
	if (parse_uint(buf, 16, 0, 0xffff, &v) < 0 ||
	    parse_uint(s + 5, 16, 0, 0xffff, &p) < 0)
		return -EINVAL;
	ret->vendor = v;
	ret->product = p;
	return 0;
}

/*
 * "BUSTYPE-...-usb-0:P[.P...]", as udev's path_id writes it: a lower-case
 * bus type ("pci", "platform", "acpi"), the controller's name, then the
 * port. path_id writes no capitals: a path with them never matches.
 */
bool
conf_port_stable(const char *s)
{
	const char *u = NULL;
	unsigned depth = 0;
	size_t type = strspn(s, "abcdefghijklmnopqrstuvwxyz");

	for (const char *p = s; (p = strstr(p, "-usb-0:")) != NULL; p++)
		u = p;
	if (u == NULL || type == 0 || s[type] != '-' || s + type >= u ||
	    strlen(s) > CONF_PORT_MAX)
		return false;
	for (const char *p = s; p < u; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    strchr(":._+-", *p) != NULL))
			return false;
	for (const char *p = u + 7;; p++) {
		unsigned long long v;
		char num[4];
		size_t n = strspn(p, "0123456789");

		if (n == 0 || n > 3 || ++depth > DEVSPEC_DEPTH_MAX)
			return false;
		memcpy(num, p, n);
		num[n] = '\0';
		if (num[0] == '0' || parse_uint(num, 10, 1, DEVSPEC_PORT_MAX,
		    &v) < 0)
			return false;
		p += n;
		if (*p == '\0')
			return true;
		if (*p != '.')
			return false;
	}
}

int
conf_port_parse(const char *s, char **ret)
{
	struct devspec spec;
	char *p;

	if (conf_port_stable(s))
		p = strdup(s);
	else if (devspec_parse(s, &spec) == 0 && spec.kind == DEVSPEC_PORT)
		p = strdup(spec.text);
	else
		return -EINVAL;
	if (p == NULL)
		return -ENOMEM;
	*ret = p;
	return 0;
}

bool
conf_name_valid(const char *s)
{
	size_t n;

	for (n = 0; s[n] != '\0'; n++)
		if ((unsigned char)s[n] < ' ' || s[n] == 0x7f || s[n] == '/')
			return false;
	return n >= 1 && n <= CONF_NAME_MAX;
}

bool
conf_uri_valid(const char *s)
{
	size_t n;

	for (n = 0; s[n] != '\0'; n++)
		if (s[n] <= ' ' || s[n] >= 0x7f)
			return false;
	return n >= 1 && n <= CONF_URI_MAX;
}

bool
conf_metrics_valid(const char *s)
{
	size_t n;

	if (strcmp(s, "none") == 0)
		return true;
	for (n = 0; s[n] != '\0'; n++)
		if ((unsigned char)s[n] < ' ' || s[n] == 0x7f)
			return false;
	return n >= 2 && n < PATH_MAX && s[0] == '/' && s[n - 1] != '/';
}

struct conf_domain *
conf_add_domain(struct conf *conf, const char *key, unsigned line)
{
	_cleanup_free_ char *k = strdup(key);
	_cleanup_free_ char *name = strdup(key);
	struct conf_domain *d;

	if (k == NULL || name == NULL ||
	    GREEDY_GROW(conf->domains, conf->n_domains) < 0)
		return NULL;
	d = &conf->domains[conf->n_domains++];
	*d = (struct conf_domain){ .key = TAKE_PTR(k), .name = TAKE_PTR(name),
	    .line = line };
	return d;
}

int
conf_domain_add_serial(struct conf_domain *d, const char *serial,
    unsigned line)
{
	_cleanup_free_ char *s = strdup(serial);

	if (s == NULL || GREEDY_GROW(d->serials, d->n_serials) < 0)
		return -ENOMEM;
	d->serials[d->n_serials++] = (struct conf_serial){
		.serial = TAKE_PTR(s), .line = line,
	};
	return 0;
}

int
conf_domain_add_port(struct conf_domain *d, const char *port, unsigned line)
{
	_cleanup_free_ char *s = strdup(port);

	if (s == NULL || GREEDY_GROW(d->ports, d->n_ports) < 0)
		return -ENOMEM;
	d->ports[d->n_ports++] = (struct conf_port){
		.port = TAKE_PTR(s), .line = line,
	};
	return 0;
}

int
conf_domain_add_type(struct conf_domain *d, struct usb_id id, unsigned line)
{
	return GREEDY_APPEND(d->types, d->n_types,
	    ((struct conf_type){ .id = id, .line = line }));
}

void
conf_domain_clear_serials(struct conf_domain *d)
{
	for (size_t i = 0; i < d->n_serials; i++)
		free(d->serials[i].serial);
	free(d->serials);
	d->serials = NULL;
	d->n_serials = 0;
}

int
conf_add_usb_id(struct conf *conf, struct usb_id id)
{
	for (size_t i = 0; i < conf->n_usb_ids; i++)
		if (conf->usb_ids[i].vendor == id.vendor &&
		    conf->usb_ids[i].product == id.product)
			return 0;
	return GREEDY_APPEND(conf->usb_ids, conf->n_usb_ids, id);
}

void
conf_done(struct conf *conf)
{
	for (size_t i = 0; i < conf->n_domains; i++) {
		struct conf_domain *d = &conf->domains[i];

		free(d->key);
		free(d->name);
		free(d->uri);
		conf_domain_clear_serials(d);
		for (size_t j = 0; j < d->n_ports; j++)
			free(d->ports[j].port);
		free(d->ports);
		free(d->types);
	}
	free(conf->domains);
	free(conf->by_serial);
	free(conf->by_port);
	free(conf->by_type);
	free(conf->managed_ids);
	free(conf->usb_ids);
	free(conf->uri);
	free(conf->metrics);
	free(conf->seedd_conf);
	free(conf->file);
	*conf = (struct conf){ 0 };
}

const struct conf_domain *
conf_find_domain(const struct conf *conf, const char *name)
{
	for (size_t i = 0; i < conf->n_domains; i++)
		if (strcmp(conf->domains[i].name, name) == 0)
			return &conf->domains[i];
	for (size_t i = 0; i < conf->n_domains; i++)
		if (strcmp(conf->domains[i].key, name) == 0)
			return &conf->domains[i];
	return NULL;
}

static int
ref_serial_cmp(const void *x, const void *y)
{
	const struct conf_ref *a = x;
	const struct conf_ref *b = y;

	return strcmp(a->serial, b->serial);
}

static int
ref_cmp(const void *x, const void *y)
{
	const struct conf_ref *a = x;
	const struct conf_ref *b = y;
	int c = ref_serial_cmp(a, b);

	if (c != 0)
		return c;
	if (a->domain != b->domain)
		return a->domain < b->domain ? -1 : 1;
	return a->serial_index < b->serial_index ? -1 :
	    a->serial_index > b->serial_index;
}

/* The first listing of serial: the one that counts, or NULL. */
static const struct conf_ref *
first_ref(const struct conf *conf, const char *serial)
{
	const struct conf_ref k = { .serial = serial };
	size_t i = lower_bound(conf->by_serial, conf->n_by_serial,
	    sizeof(*conf->by_serial), &k, ref_serial_cmp);

	if (i == conf->n_by_serial ||
	    ref_serial_cmp(&conf->by_serial[i], &k) != 0)
		return NULL;
	return &conf->by_serial[i];
}

const struct conf_domain *
conf_domain_of(const struct conf *conf, const char *serial)
{
	const struct conf_ref *r = first_ref(conf, serial);

	return r != NULL ? &conf->domains[r->domain] : NULL;
}

const struct conf_serial *
conf_serial_rule(const struct conf *conf, const char *serial,
    const struct conf_domain **ret_domain)
{
	const struct conf_ref *r = first_ref(conf, serial);

	if (r == NULL)
		return NULL;
	*ret_domain = &conf->domains[r->domain];
	return &conf->domains[r->domain].serials[r->serial_index];
}

static int
id_cmp(struct usb_id a, struct usb_id b)
{
	if (a.vendor != b.vendor)
		return a.vendor < b.vendor ? -1 : 1;
	return a.product < b.product ? -1 : a.product > b.product;
}

static int
usb_id_cmp(const void *x, const void *y)
{
	return id_cmp(*(const struct usb_id *)x, *(const struct usb_id *)y);
}

static int
rule_key_cmp(const void *x, const void *y)
{
	const struct conf_rule_ref *a = x;
	const struct conf_rule_ref *b = y;

	if (a->port != NULL || b->port != NULL)
		return strcmp(a->port, b->port);
	return id_cmp(a->id, b->id);
}

static int
rule_cmp(const void *x, const void *y)
{
	const struct conf_rule_ref *a = x;
	const struct conf_rule_ref *b = y;
	int c = rule_key_cmp(a, b);

	if (c != 0)
		return c;
	if (a->domain != b->domain)
		return a->domain < b->domain ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index;
}

static const struct conf_rule_ref *
first_rule(const struct conf_rule_ref *v, size_t n,
    const struct conf_rule_ref *k)
{
	size_t i = lower_bound(v, n, sizeof(*v), k, rule_key_cmp);

	return i < n && rule_key_cmp(&v[i], k) == 0 ? &v[i] : NULL;
}

const struct conf_rule_ref *
conf_port_rule(const struct conf *conf, const char *port)
{
	const struct conf_rule_ref k = { .port = port };

	return first_rule(conf->by_port, conf->n_by_port, &k);
}

const struct conf_rule_ref *
conf_type_rule(const struct conf *conf, uint16_t vendor, uint16_t product)
{
	const struct conf_rule_ref k = { .id = { vendor, product } };

	return first_rule(conf->by_type, conf->n_by_type, &k);
}

unsigned
conf_rule_line(const struct conf *conf, const struct conf_rule_ref *r)
{
	const struct conf_domain *d = &conf->domains[r->domain];

	return r->port != NULL ? d->ports[r->index].line :
	    d->types[r->index].line;
}

bool
conf_assigns(const struct conf *conf)
{
	return conf->n_by_serial > 0 || conf->n_by_port > 0 ||
	    conf->n_by_type > 0;
}

const char *
conf_domain_uri(const struct conf *conf, const struct conf_domain *d,
    const char *uri_override)
{
	if (uri_override != NULL)
		return uri_override;
	if (d != NULL && d->uri != NULL)
		return d->uri;
	return conf->uri;
}

bool
conf_manages(const struct conf *conf, uint16_t vendor, uint16_t product)
{
	const struct usb_id k = { vendor, product };

	return conf->n_managed_ids > 0 && bsearch(&k, conf->managed_ids,
	    conf->n_managed_ids, sizeof(k), usb_id_cmp) != NULL;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t k;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		k = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		k = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		k = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (k > n)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and code points past U+10FFFF. */
	if ((k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return k;
}

/* Binary data has no business in a config: find NUL bytes and bad UTF-8. */
static int
check_encoding(const char *file, const char *buf, size_t len)
{
	const unsigned char *s = (const unsigned char *)buf;
	unsigned line = 1;

	for (size_t i = 0; i < len;) {
		size_t k;

		if (s[i] == '\0')
			return conf_error(file, line,
			    "expected text, got a NUL byte");
		k = utf8_len(s + i, len - i);
		if (k == 0)
			return conf_error(file, line,
			    "expected UTF-8 text, got byte 0x%02x", s[i]);
		if (s[i] == '\n')
			line++;
		i += k;
	}
	return 0;
}

/* INI when the first line that is neither blank nor a comment opens a section. */
static enum conf_format
detect_format(const char *buf, size_t len)
{
	size_t i = 0;

	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < len) {
		while (i < len && strchr(" \t\r\f\v", buf[i]) != NULL)
			i++;
		if (i < len && buf[i] == '[')
			return CONF_FORMAT_INI;
		if (i < len && buf[i] != '\n' && buf[i] != '#' && buf[i] != ';')
			return CONF_FORMAT_BASH;
		while (i < len && buf[i] != '\n')
			i++;
		i++;
	}
	return CONF_FORMAT_BASH;
}

static int
name_cmp(const void *x, const void *y)
{
	const struct conf_domain *const *a = x;
	const struct conf_domain *const *b = y;

	return strcmp((*a)->name, (*b)->name);
}

/*
 * The first domain, in config order, whose name an earlier one already has:
 * its index, or n_domains when every name is unique. O(n log n).
 */
static int
first_duplicate_name(const struct conf *conf, size_t *ret)
{
	_cleanup_free_ const struct conf_domain **v = NULL;
	size_t first = conf->n_domains;

	v = calloc(conf->n_domains, sizeof(*v));
	if (v == NULL && conf->n_domains > 0)
		return -ENOMEM;
	for (size_t i = 0; i < conf->n_domains; i++)
		v[i] = &conf->domains[i];
	/* Equal names stay in config order, so the first of them comes first. */
	sort_ptrs(v, conf->n_domains, name_cmp);
	for (size_t i = 1; i < conf->n_domains; i++)
		if (strcmp(v[i - 1]->name, v[i]->name) == 0 &&
		    (size_t)(v[i] - conf->domains) < first)
			first = v[i] - conf->domains;
	*ret = first;
	return 0;
}

/* Fills conf->by_serial. Needs the limits checked first. */
static int
index_serials(struct conf *conf)
{
	size_t n = 0;

	for (size_t i = 0; i < conf->n_domains; i++)
		n += conf->domains[i].n_serials;
	conf->by_serial = calloc(n, sizeof(*conf->by_serial));
	if (conf->by_serial == NULL && n > 0)
		return -ENOMEM;
	for (size_t i = 0; i < conf->n_domains; i++)
		for (size_t j = 0; j < conf->domains[i].n_serials; j++)
			conf->by_serial[conf->n_by_serial++] = (struct conf_ref){
				.serial = conf->domains[i].serials[j].serial,
				.domain = i,
				.serial_index = j,
			};
	if (n > 1)
		qsort(conf->by_serial, n, sizeof(*conf->by_serial), ref_cmp);
	return 0;
}

/* Fills conf->by_port and conf->by_type, and the managed types. */
static int
index_rules(struct conf *conf)
{
	size_t np = 0;
	size_t nt = 0;
	size_t ni = conf->n_usb_ids;
	size_t o = 0;

	for (size_t i = 0; i < conf->n_domains; i++) {
		np += conf->domains[i].n_ports;
		nt += conf->domains[i].n_types;
		ni += conf->domains[i].n_types + conf->domains[i].n_serials;
	}
	conf->by_port = calloc(np + 1, sizeof(*conf->by_port));
	conf->by_type = calloc(nt + 1, sizeof(*conf->by_type));
	conf->managed_ids = calloc(ni + 1, sizeof(*conf->managed_ids));
	if (conf->by_port == NULL || conf->by_type == NULL ||
	    conf->managed_ids == NULL)
		return -ENOMEM;
	memcpy(conf->managed_ids, conf->usb_ids,
	    conf->n_usb_ids * sizeof(*conf->usb_ids));
	o = conf->n_usb_ids;
	for (size_t i = 0; i < conf->n_domains; i++) {
		const struct conf_domain *d = &conf->domains[i];

		for (size_t j = 0; j < d->n_ports; j++)
			conf->by_port[conf->n_by_port++] = (struct conf_rule_ref){
				.port = d->ports[j].port, .domain = i, .index = j,
			};
		for (size_t j = 0; j < d->n_types; j++) {
			conf->by_type[conf->n_by_type++] = (struct conf_rule_ref){
				.id = d->types[j].id, .domain = i, .index = j,
			};
			conf->managed_ids[o++] = d->types[j].id;
		}
		for (size_t j = 0; j < d->n_serials; j++)
			if (d->serials[j].has_id)
				conf->managed_ids[o++] = d->serials[j].id;
	}
	qsort(conf->by_port, conf->n_by_port, sizeof(*conf->by_port), rule_cmp);
	qsort(conf->by_type, conf->n_by_type, sizeof(*conf->by_type), rule_cmp);
	qsort(conf->managed_ids, o, sizeof(*conf->managed_ids), usb_id_cmp);
	for (size_t i = 0; i < o; i++)
		if (conf->n_managed_ids == 0 || usb_id_cmp(&conf->managed_ids[i],
		    &conf->managed_ids[conf->n_managed_ids - 1]) != 0)
			conf->managed_ids[conf->n_managed_ids++] =
			    conf->managed_ids[i];
	return 0;
}

/* The second listing of a port or type that comes first in config order, or NULL. */
static const struct conf_rule_ref *
first_dup_rule(const struct conf_rule_ref *v, size_t n)
{
	const struct conf_rule_ref *dup = NULL;

	for (size_t i = 1; i < n; i++) {
		if (rule_key_cmp(&v[i - 1], &v[i]) != 0)
			continue;
		if (dup == NULL || v[i].domain < dup->domain ||
		    (v[i].domain == dup->domain && v[i].index < dup->index))
			dup = &v[i];
	}
	return dup;
}

/* One domain per port as written and per device type. */
static int
check_rules(struct conf *conf)
{
	const struct conf_rule_ref *dup;

	dup = first_dup_rule(conf->by_port, conf->n_by_port);
	if (dup != NULL) {
		const struct conf_rule_ref *first = conf_port_rule(conf,
		    dup->port);
		const struct conf_domain *o = &conf->domains[first->domain];
		const struct conf_domain *d = &conf->domains[dup->domain];

		if (o == d)
			return conf_error(conf->file, conf_rule_line(conf, dup),
			    "port '%s' is already listed for '%s' at line %u",
			    dup->port, d->name, conf_rule_line(conf, first));
		return conf_error(conf->file, conf_rule_line(conf, dup),
		    "port '%s' is already assigned to '%s' at line %u",
		    dup->port, o->name, conf_rule_line(conf, first));
	}
	dup = first_dup_rule(conf->by_type, conf->n_by_type);
	if (dup != NULL) {
		const struct conf_rule_ref *first = conf_type_rule(conf,
		    dup->id.vendor, dup->id.product);
		const struct conf_domain *o = &conf->domains[first->domain];
		const struct conf_domain *d = &conf->domains[dup->domain];

		if (o == d)
			return conf_error(conf->file, conf_rule_line(conf, dup),
			    "device type '%04x:%04x' is already listed for '%s' at line %u",
			    dup->id.vendor, dup->id.product, d->name,
			    conf_rule_line(conf, first));
		return conf_error(conf->file, conf_rule_line(conf, dup),
		    "device type '%04x:%04x' is already assigned to '%s' at line %u",
		    dup->id.vendor, dup->id.product, o->name,
		    conf_rule_line(conf, first));
	}
	return 0;
}

/*
 * Rules both syntaxes share: limits, and one domain per serial and per
 * name. Reports the first broken rule in config order, in O(n log n): a
 * config of thousands of guests is checked on every udev event.
 */
static int
check_conf(struct conf *conf)
{
	const struct conf_ref *dup = NULL;
	size_t total = 0;
	size_t ports = 0;
	size_t types = 0;
	size_t dup_name;

	if (conf->n_domains > CONF_DOMAINS_MAX)
		return conf_error(conf->file, conf->domains[CONF_DOMAINS_MAX].line,
		    "expected at most %d domains", CONF_DOMAINS_MAX);
	if (first_duplicate_name(conf, &dup_name) < 0)
		return log_oom();
	for (size_t i = 0; i < conf->n_domains; i++) {
		const struct conf_domain *d = &conf->domains[i];

		if (i == dup_name) {
			size_t k = 0;

			while (strcmp(conf->domains[k].name, d->name) != 0)
				k++;
			return conf_error(conf->file, d->line,
			    "domain '%s' is already configured at line %u",
			    d->name, conf->domains[k].line);
		}
		total += d->n_serials;
		if (total > CONF_SERIALS_MAX)
			return conf_error(conf->file, d->line,
			    "expected at most %d serial numbers in all",
			    CONF_SERIALS_MAX);
		ports += d->n_ports;
		if (ports > CONF_PORTS_MAX)
			return conf_error(conf->file, d->line,
			    "expected at most %d ports in all", CONF_PORTS_MAX);
		types += d->n_types;
		if (types > CONF_TYPES_MAX)
			return conf_error(conf->file, d->line,
			    "expected at most %d device types in all",
			    CONF_TYPES_MAX);
	}
	if (index_serials(conf) < 0 || index_rules(conf) < 0)
		return log_oom();
	/* A listing after the first of its serial breaks the rule; report the earliest in config order. */
	for (size_t i = 1; i < conf->n_by_serial; i++) {
		const struct conf_ref *r = &conf->by_serial[i];

		if (strcmp(conf->by_serial[i - 1].serial, r->serial) != 0)
			continue;
		if (dup == NULL || r->domain < dup->domain ||
		    (r->domain == dup->domain &&
		    r->serial_index < dup->serial_index))
			dup = r;
	}
	if (dup != NULL) {
		const struct conf_ref *first = first_ref(conf, dup->serial);
		const struct conf_domain *o = &conf->domains[first->domain];
		const struct conf_domain *d = &conf->domains[dup->domain];
		const struct conf_serial *s = &d->serials[dup->serial_index];

		if (o == d)
			return conf_error(conf->file, s->line,
			    "serial '%s' is already listed for '%s' at line %u",
			    s->serial, d->name,
			    o->serials[first->serial_index].line);
		return conf_error(conf->file, s->line,
		    "serial '%s' is already assigned to '%s' at line %u",
		    s->serial, o->name, o->serials[first->serial_index].line);
	}
	return check_rules(conf);
}

int
conf_parse(const char *file, const char *buf, size_t len, struct conf *ret_conf)
{
	_cleanup_(conf_done) struct conf conf = { 0 };
	int r;

	r = check_encoding(file, buf, len);
	if (r < 0)
		return r;
	conf.file = strdup(file);
	if (conf.file == NULL)
		return log_oom();
	conf.format = detect_format(buf, len);
	if (conf.format == CONF_FORMAT_INI)
		r = ini_conf_parse(file, buf, len, &conf);
	else
		r = legacy_parse(file, buf, len, &conf);
	if (r < 0)
		return r;
	if (conf.n_usb_ids == 0 && conf_add_usb_id(&conf,
	    CONF_DEFAULT_USB_ID) < 0)
		return log_oom();
	r = check_conf(&conf);
	if (r < 0)
		return r;
	*ret_conf = conf;
	conf = (struct conf){ 0 };
	return 0;
}

int
conf_load(const char *path, struct conf *ret_conf)
{
	_cleanup_free_ char *buf = NULL;
	/* O_NONBLOCK: a FIFO in its place must be refused, not waited on. */
	_cleanup_close_ int fd = open(path,
	    O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	size_t len;
	int r;

	if (fd < 0)
		return log_error_errno(-errno, "cannot open config '%s': %s",
		    path, strerror(errno));
	if (fstat(fd, &st) < 0)
		return log_error_errno(-errno, "cannot stat config '%s': %s",
		    path, strerror(errno));
	/* bbvirt runs as root from udev and systemd: refuse loose files, as sshd does. */
	if (!S_ISREG(st.st_mode))
		return log_error_errno(-EINVAL, "%s: not a regular file", path);
	if (st.st_uid != 0 && st.st_uid != geteuid())
		return log_error_errno(-EPERM,
		    "%s: refusing a config owned by uid %u, not by root or uid %u",
		    path, (unsigned)st.st_uid, (unsigned)geteuid());
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return log_error_errno(-EPERM,
		    "%s: refusing a config writable by group or others (mode %04o); run 'chmod go-w %s'",
		    path, (unsigned)(st.st_mode & 07777), path);
	r = read_fd(fd, st.st_size, CONF_FILE_MAX, &buf, &len);
	if (r == -EFBIG)
		return log_error_errno(r, "%s: expected a config of at most %u MiB",
		    path, CONF_FILE_MAX >> 20);
	if (r == -ENOMEM)
		return log_oom();
	if (r < 0)
		return log_error_errno(r, "cannot read config '%s': %s", path,
		    strerror(-r));
	return conf_parse(path, buf, len, ret_conf);
}

int
conf_load_or_none(const char *path, bool any_path, struct conf *ret_conf)
{
	if ((any_path || strcmp(path, CONF_DEFAULT_PATH) == 0) &&
	    access(path, F_OK) < 0 && errno == ENOENT) {
		log_info("%s does not exist: nothing is assigned", path);
		return conf_parse(path, "", 0, ret_conf);
	}
	return conf_load(path, ret_conf);
}
