#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "alias.h"
#include "bbvirt.h"
#include "domxml.h"
#include "log.h"
#include "restore.h"
#include "runtime.h"

/*
 * restore-filter: the qemu hook pipes the domain XML of a restore or an
 * incoming migration through it. It never takes the lock and never calls
 * libvirt: libvirt waits for the hook while holding the guest, and a sync
 * holding the lock may be waiting for libvirt. Whatever goes wrong, it
 * prints nothing, which libvirt takes as "unchanged".
 */
#define RESTORE_XML_MAX (64u << 20)

/* The journal's fields of a decision on a hostdev of domain (its name as it is). */
static struct log_fields
decision_fields(const char *domain, const struct restore_decision *d)
{
	bool source = d->verdict != RESTORE_KEEP;

	return (struct log_fields){
		.message_id = LOG_MESSAGE_RESTORE,
		.action = restore_verdict_to_string(d->verdict),
		.domain = domain, .serial = d->serial,
		.bus = source ? d->source.bus : 0, .dev = d->source.dev,
		.vendor = source && d->source.has_id ? d->source.vendor : 0,
		.product = source && d->source.has_id ? d->source.product : 0,
		.reason = restore_reason_key_to_string(d->reason),
		.result = d->change ? "changed" : "unchanged",
	};
}

/*
 * -v: each decision; a change also at the default level, as sync does.
 * domain is the name in messages, raw the name as it is.
 */
static void
log_decision(const char *domain, const char *raw,
    const struct hostdev_span *h, const struct restore_decision *d)
{
	char vis[VISIBLE_BUF];
	char what[VISIBLE_BUF + 16];
	const char *why = restore_reason_to_string(d->reason);
	const char *verb = d->change ? "parked at" : "stays parked at";
	const char *none = d->change ? ", where no device can be" : "";
	int level = d->change ? LOG_NOTICE : LOG_INFO;
	struct log_fields f = decision_fields(raw, d);

	if (h->hd.alias != NULL)
		(void)snprintf(what, sizeof(what), "hostdev '%s'",
		    str_visible(h->hd.alias, strlen(h->hd.alias), vis,
		    sizeof(vis)));
	else
		(void)snprintf(what, sizeof(what), "a hostdev without alias");
	switch (d->verdict) {
	case RESTORE_KEEP:
		log_struct(LOG_INFO, &f, "'%s': leaving %s as it is: it %s",
		    domain, what, why);
		break;
	case RESTORE_READDRESS:
		if (d->change && d->source.has_id)
			log_struct(LOG_NOTICE, &f, "'%s': %s now names %u:%u (%04x:%04x): '%s' %s",
			    domain, what, d->source.bus, d->source.dev,
			    d->source.vendor, d->source.product, d->serial, why);
		else if (d->change)
			log_struct(LOG_NOTICE, &f, "'%s': %s now names %u:%u: '%s' %s",
			    domain, what, d->source.bus, d->source.dev,
			    d->serial, why);
		else
			log_struct(LOG_INFO, &f, "'%s': %s already names %u:%u: '%s' %s",
			    domain, what, d->source.bus, d->source.dev,
			    d->serial, why);
		break;
	case RESTORE_BLOCK:
		/* Parking it would let QEMU hand the guest another device. */
		log_struct(level, &f,
		    "'%s': %s %s %u:%u, not optional: '%s' %s, and the "
		    "guest has a USB hostdev not bbvirt's, which an empty port "
		    "could take: libvirt will refuse the start", domain, what,
		    d->change ? "blocked at" : "stays blocked at",
		    d->source.bus, d->source.dev, d->serial, why);
		break;
	case RESTORE_PARK:
		if (d->reason == RESTORE_ELSEWHERE)
			log_struct(level, &f, "'%s': %s %s %u:%u%s: '%s' is assigned to '%s'",
			    domain, what, verb, d->source.bus, d->source.dev,
			    none, d->serial, d->assigned);
		else
			log_struct(level, &f, "'%s': %s %s %u:%u%s: '%s' %s",
			    domain, what, verb, d->source.bus, d->source.dev,
			    none, d->serial, why);
		break;
	default:
		break;
	}
}

/* The domain XML on stdin, read and parsed. */
struct filter_doc {
	char *xml;
	size_t len;
	struct domxml_spans spans;
	char name[VISIBLE_BUF];         /* its name, control characters escaped */
};

static void
filter_doc_done(struct filter_doc *d)
{
	domxml_spans_done(&d->spans);
	d->xml = mfree(d->xml);
}

/*
 * Reads the domain XML of domain (NULL: any) from stdin. Returns 1, 0
 * when it holds no hostdev of bbvirt's (nothing to do), or -errno
 * (logged).
 */
static int
read_doc(const char *domain, struct filter_doc *d)
{
	char vis[VISIBLE_BUF];
	int r;

	runtime_phase("reading the domain XML");
	r = read_fd(STDIN_FILENO, 64u << 10, RESTORE_XML_MAX, &d->xml, &d->len);
	if (r == -EFBIG)
		return log_error_errno(r, "the domain XML on stdin is over %u bytes; leaving it as it is",
		    RESTORE_XML_MAX);
	if (r < 0)
		return log_error_errno(r, "cannot read the domain XML on stdin: %s",
		    strerror(-r));
	/*
	 * libvirt writes aliases as plain text: a document in which no
	 * prefix of bbvirt's appears has no hostdev of bbvirt's, and costs no
	 * parse, no config and no udev.
	 */
	if (!alias_prefix_in(d->xml, d->len)) {
		log_debug("no alias of bbvirt's in the domain XML: nothing to do");
		return 0;
	}
	r = domxml_spans(d->xml, d->len, &d->spans);
	if (r == -ENOMEM)
		return log_oom();
	if (r < 0)
		return log_error_errno(r, "cannot read the domain XML on stdin: %s; leaving it as it is",
		    d->spans.error);
	if (domain != NULL && !streq_null(d->spans.name, domain))
		return log_error_errno(-EINVAL, "the domain XML on stdin is not of '%s'; leaving it as it is",
		    str_visible(domain, strlen(domain), vis, sizeof(vis)));
	if (d->spans.name == NULL)
		return log_error_errno(-EINVAL, "the domain XML on stdin has no name; leaving it as it is");
	(void)str_visible(d->spans.name, strlen(d->spans.name), d->name,
	    sizeof(d->name));
	if (!restore_any_owned(d->spans.v, d->spans.n)) {
		log_debug("'%s' has no hostdev of bbvirt's: nothing to do",
		    d->name);
		return 0;
	}
	return 1;
}

/*
 * What becomes of each hostdev of d, from the config, the devices plugged
 * in and the hold. Returns 0 or -errno (logged); a config that cannot be
 * read is a usage error in *o.
 */
static int
decide(const struct cli_args *a, const struct filter_doc *d,
    struct restore_plan *ret_plan, struct outcome *o)
{
	_cleanup_(conf_done) struct conf conf = { 0 };
	_cleanup_(udevsnap_done) struct udevsnap devices = { 0 };
	_cleanup_free_ char *path = NULL;
	char since[64];
	int held;
	int r;

	if (conf_path(a->common.config, &path) < 0)
		return log_oom();
	runtime_phase("reading the config");
	/* A missing config, whatever its path, assigns nothing here: park all. */
	r = conf_load_or_none(path, true, &conf);
	if (r < 0) {
		o->usage = r != -ENOMEM;        /* logged with its file and line */
		return r;
	}
	runtime_phase("reading USB devices");
	r = udevsnap_collect(conf.managed_ids, conf.n_managed_ids,
	    conf.n_by_port > 0 ? UDEVSNAP_PEERS : 0, &devices);
	if (r < 0)
		return r;
	for (size_t i = 0; log_get_max_level() >= LOG_DEBUG && i < devices.n; i++)
		log_debug("device %u:%u %04x:%04x serial '%s'",
		    devices.v[i].bus, devices.v[i].dev, devices.v[i].vendor,
		    devices.v[i].product,
		    devices.v[i].serial != NULL ? devices.v[i].serial : "");
	/* While bbvirt release holds (the host going down), nothing is attached. */
	held = runtime_hold_read(since, sizeof(since));
	if (held < 0)
		return held;
	r = restore_decide(&conf, &devices, held > 0, d->spans.name, d->spans.v,
	    d->spans.n, ret_plan);
	return r < 0 ? log_oom() : 0;
}

static int
write_rewritten(const struct filter_doc *d, const struct restore_plan *p)
{
	_cleanup_free_ char *out = NULL;
	size_t n_out = 0;
	int r;

	runtime_phase("rewriting the domain XML");
	r = restore_rewrite(d->xml, d->len, &d->spans, p, &out, &n_out);
	if (r == -ENOMEM)
		return log_oom();
	if (r < 0)
		return log_error_errno(r, "the rewritten domain XML does not read back as intended; leaving it as it is");
	runtime_phase("writing the domain XML");
	if (fwrite(out, 1, n_out, stdout) != n_out || fflush(stdout) != 0)
		return log_error_errno(-EIO, "cannot write the domain XML: %s",
		    strerror(errno));
	return 0;
}

/*
 * Whatever goes wrong, the filter prints nothing, which libvirt takes as
 * "unchanged", and exits 1 (2 for a config it cannot read).
 */
int
verb_restore_filter(const struct cli_args *a, struct outcome *o)
{
	_cleanup_(filter_doc_done) struct filter_doc d = { 0 };
	_cleanup_(restore_plan_done) struct restore_plan p = { 0 };
	int r;

	/* Bounded from the first byte read: libvirt waits for the hook. */
	r = runtime_watchdog(a->timeout);
	if (r < 0)
		return r;
	r = read_doc(a->line.n_args == 1 ? a->line.args[0] : NULL, &d);
	if (r <= 0)
		return r;
	r = decide(a, &d, &p, o);
	if (r < 0)
		return r;
	for (size_t i = 0; i < p.n; i++)
		log_decision(d.name, d.spans.name, &d.spans.v[i], &p.v[i]);
	return p.n_changes > 0 ? write_rewritten(&d, &p) : 0;
}
