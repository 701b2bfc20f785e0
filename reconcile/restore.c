#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alias.h"
#include "conf.h"
#include "plan.h"
#include "restore.h"
#include "udevsnap.h"
#include "util.h"
#include "virtsnap.h"
#include "world.h"

/*
 * Linux numbers the USB devices of a bus 1-127 (USB addresses have seven
 * bits), so a parked source, at a device number above that, can never
 * reach a device, whatever is plugged in later. It is not 0: libvirt
 * 9.0 compares a hostdev whose device number is 0 with the others by
 * vendor and product, both 0 here, and refuses the document as soon as
 * two parked hostdevs, or a parked one before one named by address
 * alone, are in it ("Hostdev already exists in the domain
 * configuration"). Each parked hostdev gets a number of its own, on its
 * old bus, or bus 1 when there was none.
 */
#define USB_DEV_MAX 127
#define PARK_DEV_MIN (USB_DEV_MAX + 1)
#define PARK_DEV_MAX 65535
#define PARK_BUS_DEFAULT 1

bool
restore_any_owned(const struct hostdev_span *hds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *a = hds[i].hd.alias;

		if (alias_has_our_prefix(a))
			return true;
	}
	return false;
}

/*
 * Whether a hostdev other than self names bus:dev: its new source when
 * the plan has already changed it (those before upto), else its own.
 */
static bool
address_used(const struct hostdev_span *hds, size_t n,
    const struct restore_plan *p, size_t upto, size_t self, unsigned bus,
    unsigned dev)
{
	for (size_t j = 0; j < n; j++) {
		const struct restore_decision *d = &p->v[j];

		if (j == self)
			continue;
		if (j < upto && d->change) {
			if (d->source.bus == bus && d->source.dev == dev)
				return true;
		} else if (hds[j].hd.has_address && hds[j].hd.bus == bus &&
		    hds[j].hd.dev == dev)
			return true;
	}
	return false;
}

/*
 * Whether a hostdev the plan keeps names this vendor and product without
 * a full address: libvirt would take it and one of ours with the same
 * ids for one device, and refuse the document.
 */
static bool
ids_clash(const struct hostdev_span *hds, const struct restore_plan *p,
    uint16_t vendor, uint16_t product)
{
	for (size_t j = 0; j < p->n; j++) {
		const struct hostdev *hd = &hds[j].hd;

		if (p->v[j].verdict == RESTORE_KEEP && hd->has_id &&
		    hd->vendor == vendor && hd->product == product &&
		    !(hd->has_address && hd->bus != 0 && hd->dev != 0))
			return true;
	}
	return false;
}

/* Whether a hostdev the plan keeps names bus:dev. */
static bool
kept_at(const struct hostdev_span *hds, const struct restore_plan *p,
    unsigned bus, unsigned dev)
{
	for (size_t j = 0; j < p->n; j++)
		if (p->v[j].verdict == RESTORE_KEEP && hds[j].hd.has_address &&
		    hds[j].hd.bus == bus && hds[j].hd.dev == dev)
			return true;
	return false;
}

static void
readdress(const struct hostdev_span *h, const struct usbdev *u,
    bool with_ids, struct restore_decision *d)
{
	const struct hostdev *hd = &h->hd;

	d->verdict = RESTORE_READDRESS;
	d->reason = RESTORE_ASSIGNED;
	d->source = (struct domxml_source){
		.bus = u->bus, .dev = u->dev,
		.has_id = with_ids, .vendor = u->vendor, .product = u->product,
	};
	/*
	 * Already there: the address is the device's, nothing optional, and
	 * a vendor and product, if named, are the device's too. bbvirt's
	 * own attachments name the address alone; they stay as they are.
	 */
	d->change = !(hd->has_address && hd->bus == u->bus &&
	    hd->dev == u->dev && !h->optional && (!hd->has_id ||
	    (with_ids && hd->vendor == u->vendor && hd->product == u->product)));
}

/* Whether an earlier hostdev of the plan is readdressed to device u. */
static bool
taken(const struct restore_plan *p, size_t upto, const struct usbdev *u)
{
	for (size_t i = 0; i < upto; i++)
		if (p->v[i].verdict == RESTORE_READDRESS &&
		    p->v[i].source.bus == u->bus && p->v[i].source.dev == u->dev)
			return true;
	return false;
}

/*
 * The present device a hostdev of bbvirt's names, and the claim for it:
 * the device its serial names (world_device()), the device whose claim
 * is its port rule's port, or a type rule's device of that type at that
 * kernel port. NULL: none. The claims are the world's, which sync's are:
 * a port rule two present devices claim claims neither.
 */
static const struct usbdev *
named_device(const struct world *w, int kind, const char *key,
    const struct claim **ret_claim)
{
	const struct udevsnap *devices = w->in->devices;
	const struct usbdev *u = NULL;

	if (kind == ALIAS_OURS)
		u = world_device(w, key);
	else if (kind == ALIAS_TYPE) {
		u = udevsnap_by_port(devices, strchr(key, '@') + 1);
		if (u != NULL && !world_type_key_is(key, u))
			u = NULL;
	} else {
		for (size_t i = 0; u == NULL && i < devices->n; i++) {
			const struct claim *c = world_claim(w, &devices->v[i]);

			if (usbdev_at_port(&devices->v[i], key) &&
			    c->kind == CLAIM_PORT && strcmp(c->port, key) == 0)
				u = &devices->v[i];
		}
	}
	if (u != NULL)
		*ret_claim = world_claim(w, u);
	return u;
}

/* The first pass: what is not ours, or has no source, is kept. */
static int
classify(const struct hostdev_span *h, struct restore_decision *d,
    int *ret_kind)
{
	int kind;

	*d = (struct restore_decision){ .verdict = RESTORE_KEEP,
	    .reason = RESTORE_FOREIGN };
	kind = alias_decode(h->hd.alias, &d->serial);
	if (kind < 0)
		return kind;
	*ret_kind = kind;
	/* A ua-bbvirt- alias that does not decode is not ours either. */
	if (kind != ALIAS_OURS && kind != ALIAS_MANUAL && kind != ALIAS_PORT &&
	    kind != ALIAS_TYPE) {
		d->serial = mfree(d->serial);
		return 0;
	}
	if (!h->has_source) {
		d->reason = RESTORE_NO_SOURCE;
		return 0;
	}
	d->verdict = RESTORE_PARK;      /* until the second pass says more */
	return 0;
}

/*
 * The second pass: readdress, or the reason to park. A hostdev is
 * readdressed to the device it names when the claim for that device
 * gives it to this domain, by the rule that made the hostdev: the
 * planner's one answer, so that no restore points a hostdev at a device
 * the config gives elsewhere.
 */
static void
decide_one(const struct world *w, bool held, const char *domain,
    const struct hostdev_span *hds, size_t i, int kind,
    struct restore_plan *p)
{
	static const enum claim_kind by_alias[_ALIAS_KIND_MAX] = {
		[ALIAS_OURS] = CLAIM_SERIAL,
		[ALIAS_PORT] = CLAIM_PORT,
		[ALIAS_TYPE] = CLAIM_TYPE,
	};
	struct restore_decision *d = &p->v[i];
	const struct claim *c = NULL;
	const struct usbdev *u;

	if (held) {
		d->reason = RESTORE_HELD;
		return;
	}
	/* A lending was a human's, for that run: the config says the rest. */
	if (kind == ALIAS_MANUAL) {
		d->reason = RESTORE_LENT;
		return;
	}
	u = named_device(w, kind, d->serial, &c);
	if (u == NULL)
		d->reason = kind == ALIAS_OURS &&
		    udevsnap_count_serial(w->in->devices, d->serial) > 1 ?
		    RESTORE_SHARED : RESTORE_ABSENT;
	else if (c->kind == CLAIM_SHARED)
		d->reason = RESTORE_SHARED;
	else if (c->domain == NULL)
		d->reason = RESTORE_UNASSIGNED;
	else if (domain == NULL || strcmp(c->domain->name, domain) != 0) {
		d->assigned = c->domain->name;
		d->reason = RESTORE_ELSEWHERE;
	} else if (c->kind != by_alias[kind])
		d->reason = RESTORE_OTHER_RULE;
	else if (taken(p, i, u))
		d->reason = RESTORE_TWICE;
	else if (kept_at(hds, p, u->bus, u->dev))
		d->reason = RESTORE_TAKEN;
	else
		readdress(&hds[i], u, !ids_clash(hds, p, u->vendor, u->product),
		    d);
}

/*
 * The next number to try on each bus: numbers only grow, so that parking
 * every hostdev of a big document stays quadratic, not cubic.
 */
struct park_cursor {
	unsigned bus;
	unsigned next;
};

static unsigned *
cursor_of(struct park_cursor *c, size_t *n, unsigned bus)
{
	for (size_t k = 0; k < *n; k++)
		if (c[k].bus == bus)
			return &c[k].next;
	/* The caller sized c for one bus per hostdev. */
	c[*n] = (struct park_cursor){ .bus = bus, .next = PARK_DEV_MIN };
	return &c[(*n)++].next;
}

/*
 * The third pass: parking is safe only if no USB hostdev of the guest
 * names a device its QEMU is let open: see restore_decide() in restore.h.
 */
static void
make_parking_safe(struct restore_plan *p)
{
	bool parked = false;
	bool other = false;

	for (size_t i = 0; i < p->n; i++) {
		parked = parked || p->v[i].verdict == RESTORE_PARK;
		/* A hostdev of bbvirt's without a source names no device. */
		other = other || (p->v[i].verdict == RESTORE_KEEP &&
		    p->v[i].reason != RESTORE_NO_SOURCE);
	}
	if (!parked)
		return;
	for (size_t i = 0; i < p->n; i++) {
		struct restore_decision *d = &p->v[i];

		if (other && d->verdict == RESTORE_PARK)
			d->verdict = RESTORE_BLOCK;
		else if (!other && d->verdict == RESTORE_READDRESS) {
			d->verdict = RESTORE_PARK;
			d->reason = RESTORE_WITH_OTHERS;
		}
	}
}

/* The fourth pass: a number no device and no other hostdev has. */
static void
park(const struct hostdev_span *hds, size_t n, size_t i,
    struct restore_plan *p, struct park_cursor *c, size_t *n_c)
{
	const struct hostdev_span *h = &hds[i];
	struct restore_decision *d = &p->v[i];
	unsigned bus = h->hd.has_address && h->hd.bus > 0 ? h->hd.bus :
	    PARK_BUS_DEFAULT;
	bool optional = d->verdict == RESTORE_PARK;
	unsigned *next;
	unsigned dev;

	/* Already so: (not) optional, nothing but such an address, its own. */
	if (h->optional == optional && !h->hd.has_id && h->hd.has_address &&
	    h->hd.dev > USB_DEV_MAX && h->hd.dev <= PARK_DEV_MAX &&
	    !address_used(hds, n, p, i, i, h->hd.bus, h->hd.dev)) {
		dev = h->hd.dev;
		d->change = false;
	} else {
		next = cursor_of(c, n_c, bus);
		dev = *next;
		while (dev < PARK_DEV_MAX &&
		    address_used(hds, n, p, i, i, bus, dev))
			dev++;
		*next = dev < PARK_DEV_MAX ? dev + 1 : dev;
		d->change = true;
	}
	d->source = (struct domxml_source){ .optional = optional, .bus = bus,
	    .dev = dev };
}

int
restore_decide(const struct conf *conf, const struct udevsnap *devices,
    bool held, const char *domain, const struct hostdev_span *hds, size_t n,
    struct restore_plan *ret)
{
	_cleanup_(restore_plan_done) struct restore_plan p = { 0 };
	_cleanup_free_ int *kinds = NULL;
	_cleanup_free_ struct park_cursor *cursors = NULL;
	/* No guests: a hook never asks libvirt, and the claims need none. */
	const struct virtsnap none = { 0 };
	const struct plan_input in = { .conf = conf, .devices = devices,
	    .guests = &none };
	_cleanup_(world_done) struct world w = { 0 };
	size_t n_cursors = 0;
	int r;

	p.v = calloc(n > 0 ? n : 1, sizeof(*p.v));
	kinds = calloc(n > 0 ? n : 1, sizeof(*kinds));
	cursors = calloc(n > 0 ? n : 1, sizeof(*cursors));
	if (p.v == NULL || kinds == NULL || cursors == NULL)
		return -ENOMEM;
	r = world_build(&in, &w);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		r = classify(&hds[i], &p.v[i], &kinds[i]);

		/* The slot is the plan's now, filled or not: done() frees it. */
		p.n++;
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < n; i++)
		if (p.v[i].verdict == RESTORE_PARK)
			decide_one(&w, held, domain, hds, i, kinds[i], &p);
	make_parking_safe(&p);
	for (size_t i = 0; i < n; i++) {
		if (p.v[i].verdict == RESTORE_PARK ||
		    p.v[i].verdict == RESTORE_BLOCK)
			park(hds, n, i, &p, cursors, &n_cursors);
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
	r = domxml_spans(out, n_out, &back);
	if (r < 0)
		return r;
	r = restore_check(p, doc->v, doc->n, back.v, back.n);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(out);
	*ret_len = n_out;
	return 0;
}

static const char *const restore_verdict_table[_RESTORE_VERDICT_MAX] = {
	[RESTORE_KEEP] = "keep",
	[RESTORE_READDRESS] = "readdress",
	[RESTORE_PARK] = "park",
	[RESTORE_BLOCK] = "block",
};

DEFINE_STRING_TABLE_LOOKUP(restore_verdict, enum restore_verdict)

/* Each follows the serial: "'AB12' is not plugged in". */
static const char *const restore_reason_table[_RESTORE_REASON_MAX] = {
	[RESTORE_FOREIGN] = "is not bbvirt's",
	[RESTORE_NO_SOURCE] = "has no source to rewrite",
	[RESTORE_ASSIGNED] = "is plugged in and assigned to this domain",
	[RESTORE_ABSENT] = "is not plugged in",
	[RESTORE_SHARED] = "is on more than one device",
	[RESTORE_ELSEWHERE] = "is assigned to another domain",
	[RESTORE_UNASSIGNED] = "is assigned to no domain",
	[RESTORE_OTHER_RULE] = "is assigned to this domain by another rule",
	[RESTORE_LENT] = "was lent by hand, which a restore does not repeat",
	[RESTORE_TWICE] = "goes to an earlier hostdev of this domain",
	[RESTORE_TAKEN] = "is at an address another hostdev of this domain names",
	[RESTORE_WITH_OTHERS] = "is parked with another of bbvirt's, which an empty port would take",
	[RESTORE_HELD] = "is not attached while bbvirt release holds",
};

DEFINE_STRING_TABLE_LOOKUP(restore_reason, enum restore_reason)

/* One word each, for the journal's BBVIRT_REASON. */
static const char *const restore_reason_key_table[_RESTORE_REASON_MAX] = {
	[RESTORE_FOREIGN] = "foreign",
	[RESTORE_NO_SOURCE] = "no-source",
	[RESTORE_ASSIGNED] = "assigned",
	[RESTORE_ABSENT] = "absent",
	[RESTORE_SHARED] = "shared",
	[RESTORE_ELSEWHERE] = "elsewhere",
	[RESTORE_UNASSIGNED] = "unassigned",
	[RESTORE_OTHER_RULE] = "other-rule",
	[RESTORE_LENT] = "lent",
	[RESTORE_TWICE] = "twice",
	[RESTORE_TAKEN] = "taken",
	[RESTORE_WITH_OTHERS] = "with-others",
	[RESTORE_HELD] = "released",
};

DEFINE_STRING_TABLE_LOOKUP(restore_reason_key, enum restore_reason)
