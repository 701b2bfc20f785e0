#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alias.h"
#include "conf.h"
#include "restore.h"
#include "udevsnap.h"
#include "util.h"

/*
 * No Linux USB device has number 0 (usbcore numbers them from 1), so a
 * parked source can never reach a device, whatever is plugged in later;
 * the bus is kept, or bus 1 when there was none.
 */
#define PARK_DEV 0
#define PARK_BUS_DEFAULT 1

bool
restore_any_owned(const struct hostdev_span *hds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *a = hds[i].hd.alias;

		if (a != NULL && (strncmp(a, ALIAS_PREFIX,
		    strlen(ALIAS_PREFIX)) == 0 || strncmp(a,
		    ALIAS_MANUAL_PREFIX, strlen(ALIAS_MANUAL_PREFIX)) == 0))
			return true;
	}
	return false;
}

static void
park(const struct hostdev_span *h, enum restore_reason why,
    struct restore_decision *d)
{
	d->verdict = RESTORE_PARK;
	d->reason = why;
	d->source = (struct domxml_source){
		.optional = true,
		.bus = h->hd.has_address && h->hd.bus > 0 ? h->hd.bus :
		    PARK_BUS_DEFAULT,
		.dev = PARK_DEV,
	};
	/* Already parked: optional, nothing but an address no device has. */
	d->change = !(h->optional && h->hd.has_address &&
	    h->hd.dev == PARK_DEV && !h->hd.has_id);
}

static void
readdress(const struct hostdev_span *h, const struct usbdev *u,
    struct restore_decision *d)
{
	const struct hostdev *hd = &h->hd;

	d->verdict = RESTORE_READDRESS;
	d->reason = RESTORE_ASSIGNED;
	d->source = (struct domxml_source){
		.bus = u->bus, .dev = u->dev,
		.has_id = true, .vendor = u->vendor, .product = u->product,
	};
	/*
	 * Already there: the address is the device's, nothing optional, and
	 * a vendor and product, if named, are the device's too. bbvirt's
	 * own attachments name the address alone; they stay as they are.
	 */
	d->change = !(hd->has_address && hd->bus == u->bus &&
	    hd->dev == u->dev && !h->optional && (!hd->has_id ||
	    (hd->vendor == u->vendor && hd->product == u->product)));
}

/* Whether an earlier hostdev of the plan is readdressed to serial. */
static bool
taken(const struct restore_plan *p, size_t upto, const char *serial)
{
	for (size_t i = 0; i < upto; i++)
		if (p->v[i].verdict == RESTORE_READDRESS &&
		    strcmp(p->v[i].serial, serial) == 0)
			return true;
	return false;
}

static int
decide_one(const struct conf *conf, const struct udevsnap *devices,
    const char *domain, const struct hostdev_span *h,
    const struct restore_plan *p, struct restore_decision *d)
{
	const struct conf_domain *cd;
	const struct usbdev *u;
	enum restore_reason why;
	int kind;

	*d = (struct restore_decision){ .verdict = RESTORE_KEEP,
	    .reason = RESTORE_FOREIGN };
	kind = alias_decode(h->hd.alias, &d->serial);
	if (kind < 0)
		return kind;
	/* A ua-bbvirt- alias that does not decode is not ours either. */
	if (kind != ALIAS_OURS && kind != ALIAS_MANUAL)
		return 0;
	if (!h->has_source) {
		d->reason = RESTORE_NO_SOURCE;
		return 0;
	}
	/* A lending was a human's, for that run: the config says the rest. */
	if (kind == ALIAS_MANUAL)
		why = RESTORE_LENT;
	else if (udevsnap_shared(devices, d->serial))
		why = RESTORE_SHARED;
	else if ((u = udevsnap_by_serial(devices, d->serial)) == NULL)
		why = RESTORE_ABSENT;
	else if ((cd = conf_domain_of(conf, d->serial)) == NULL)
		why = RESTORE_UNASSIGNED;
	else if (domain == NULL || strcmp(cd->name, domain) != 0) {
		d->assigned = cd->name;
		why = RESTORE_ELSEWHERE;
	} else if (taken(p, p->n, d->serial))
		why = RESTORE_TWICE;
	else {
		readdress(h, u, d);
		return 0;
	}
	park(h, why, d);
	return 0;
}

int
restore_decide(const struct conf *conf, const struct udevsnap *devices,
    const char *domain, const struct hostdev_span *hds, size_t n,
    struct restore_plan *ret)
{
	_cleanup_(restore_plan_done) struct restore_plan p = { 0 };

	p.v = calloc(n > 0 ? n : 1, sizeof(*p.v));
	if (p.v == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int r = decide_one(conf, devices, domain, &hds[i], &p, &p.v[i]);

		/* The slot is the plan's now, filled or not: done() frees it. */
		p.n++;
		if (r < 0)
			return r;
		if (p.v[i].change)
			p.n_changes++;
	}
	*ret = p;
	p = (struct restore_plan){ 0 };
	return 0;
}

void
restore_plan_done(struct restore_plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i].serial);
	free(p->v);
	*p = (struct restore_plan){ 0 };
}

static bool
same_hostdev(const struct hostdev_span *a, const struct hostdev_span *b)
{
	return a->has_source == b->has_source && a->optional == b->optional &&
	    a->hd.has_address == b->hd.has_address &&
	    (!a->hd.has_address || (a->hd.bus == b->hd.bus &&
	    a->hd.dev == b->hd.dev)) && a->hd.has_id == b->hd.has_id &&
	    (!a->hd.has_id || (a->hd.vendor == b->hd.vendor &&
	    a->hd.product == b->hd.product));
}

static bool
names(const struct hostdev_span *h, const struct domxml_source *s)
{
	return h->has_source && h->optional == s->optional &&
	    h->hd.has_address && h->hd.bus == s->bus && h->hd.dev == s->dev &&
	    h->hd.has_id == s->has_id && (!s->has_id ||
	    (h->hd.vendor == s->vendor && h->hd.product == s->product));
}

int
restore_check(const struct restore_plan *p,
    const struct hostdev_span *before, size_t n,
    const struct hostdev_span *after, size_t n_after)
{
	if (p->n != n || n_after != n)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		const struct restore_decision *d = &p->v[i];

		if (!streq_null(before[i].hd.alias, after[i].hd.alias))
			return -EINVAL;
		if (d->change ? !names(&after[i], &d->source) :
		    !same_hostdev(&before[i], &after[i]))
			return -EINVAL;
	}
	return 0;
}

int
restore_rewrite(const char *xml, size_t len, const struct domxml_spans *doc,
    const struct restore_plan *p, char **ret, size_t *ret_len)
{
	_cleanup_(strv_done) struct strv texts = { 0 };
	_cleanup_free_ struct domxml_edit *edits = NULL;
	_cleanup_(domxml_spans_done) struct domxml_spans back = { 0 };
	_cleanup_free_ char *out = NULL;
	size_t n_out = 0;
	size_t n = 0;
	int r;

	if (p->n != doc->n)
		return -EINVAL;
	edits = calloc(p->n_changes > 0 ? p->n_changes : 1, sizeof(*edits));
	if (edits == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < p->n; i++) {
		char *t = NULL;

		if (!p->v[i].change)
			continue;
		r = domxml_build_source(&p->v[i].source, doc->v[i].multiline,
		    doc->v[i].depth, &t);
		if (r < 0 || (r = strv_consume(&texts, t)) < 0)
			return r;
		edits[n++] = (struct domxml_edit){ .begin = doc->v[i].begin,
		    .end = doc->v[i].end, .text = texts.v[texts.n - 1] };
	}
	r = domxml_splice(xml, len, edits, n, &out, &n_out);
	if (r < 0)
		return r;
	/* libvirt aborts the start on XML it cannot use: read it back first. */
	r = domxml_spans(out, n_out, &back, NULL);
	if (r < 0)
		return r;
	r = restore_check(p, doc->v, doc->n, back.v, back.n);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(out);
	*ret_len = n_out;
	return 0;
}

const char *
restore_verdict_to_string(enum restore_verdict v)
{
	static const char *const names_[_RESTORE_VERDICT_MAX] = {
		[RESTORE_KEEP] = "keep",
		[RESTORE_READDRESS] = "readdress",
		[RESTORE_PARK] = "park",
	};

	return v < _RESTORE_VERDICT_MAX ? names_[v] : NULL;
}

const char *
restore_reason_to_string(enum restore_reason r)
{
	/* Each follows the serial: "'AB12' is not plugged in". */
	static const char *const reasons[_RESTORE_REASON_MAX] = {
		[RESTORE_FOREIGN] = "is not bbvirt's",
		[RESTORE_NO_SOURCE] = "has no source to rewrite",
		[RESTORE_ASSIGNED] = "is plugged in and assigned to this domain",
		[RESTORE_ABSENT] = "is not plugged in",
		[RESTORE_SHARED] = "is on more than one device",
		[RESTORE_ELSEWHERE] = "is assigned to another domain",
		[RESTORE_UNASSIGNED] = "is assigned to no domain",
		[RESTORE_LENT] = "was lent by hand, which a restore does not repeat",
		[RESTORE_TWICE] = "goes to an earlier hostdev of this domain",
	};

	return r < _RESTORE_REASON_MAX ? reasons[r] : NULL;
}
