#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alias.h"
#include "conf.h"
#include "plan.h"
#include "status.h"
#include "udevsnap.h"
#include "util.h"
#include "virtsnap.h"
#include "world.h"

static const char *const plan_op_table[_PLAN_OP_MAX] = {
	[PLAN_DETACH] = "detach",
	[PLAN_ATTACH] = "attach",
};

static const char *const plan_reason_table[_PLAN_REASON_MAX] = {
	[PLAN_MISSING] = "missing",
	[PLAN_REQUESTED] = "requested",
	[PLAN_ABSENT] = "absent",
	[PLAN_READDRESSED] = "readdressed",
	[PLAN_REASSIGNED] = "reassigned",
	[PLAN_UNASSIGNED] = "unassigned",
	[PLAN_RELEASED] = "released",
};

static const char *const plan_result_table[_PLAN_RESULT_MAX] = {
	[PLAN_PLANNED] = "planned",
	[PLAN_DONE] = "done",
	[PLAN_FAILED] = "failed",
	[PLAN_STOPPED] = "stopped",
};

static const char *const plan_refusal_kind_table[_PLAN_REFUSE_MAX] = {
	[PLAN_REFUSE_MALFORMED] = "malformed",
	[PLAN_REFUSE_NOT_PLUGGED] = "not-plugged",
	[PLAN_REFUSE_UNMANAGED] = "unmanaged",
	[PLAN_REFUSE_NO_SERIAL] = "no-serial",
	[PLAN_REFUSE_SHARED] = "shared",
	[PLAN_REFUSE_MISMATCH] = "mismatch",
	[PLAN_REFUSE_UNASSIGNED] = "unassigned",
	[PLAN_REFUSE_NO_DOMAIN] = "no-domain",
	[PLAN_REFUSE_REMOTE] = "remote",
	[PLAN_REFUSE_UNREACHABLE] = "unreachable",
	[PLAN_REFUSE_DOMAIN_DOWN] = "domain-down",
	[PLAN_REFUSE_HELD_ELSEWHERE] = "held-elsewhere",
	[PLAN_REFUSE_FOREIGN] = "foreign",
	[PLAN_REFUSE_AMBIGUOUS] = "ambiguous",
	[PLAN_REFUSE_HUB] = "hub",
	[PLAN_REFUSE_BUSY] = "busy",
};

DEFINE_STRING_TABLE_LOOKUP(plan_op, enum plan_op)
DEFINE_STRING_TABLE_LOOKUP(plan_reason, enum plan_reason)
DEFINE_STRING_TABLE_LOOKUP(plan_result, enum plan_result)
DEFINE_STRING_TABLE_LOOKUP(plan_refusal_kind, enum plan_refusal_kind)

static void
action_done(struct plan_action *a)
{
	free(a->domain);
	free(a->uri);
	free(a->serial);
	free(a->port);
	free(a->alias);
	free(a->rule);
	free(a->error);
}

static int
plan_add(struct plan *p, enum plan_op op, enum plan_reason reason,
    const char *domain, const char *uri, const char *serial, unsigned bus,
    unsigned dev, const char *port, const char *alias)
{
	_cleanup_(action_done) struct plan_action a = {
		.op = op, .reason = reason, .bus = bus, .dev = dev,
		.result = PLAN_PLANNED,
	};

	if (strdup_null(domain, &a.domain) < 0 || strdup_null(uri, &a.uri) < 0 ||
	    strdup_null(serial, &a.serial) < 0 ||
	    strdup_null(port, &a.port) < 0 || strdup_null(alias, &a.alias) < 0 ||
	    GREEDY_GROW(p->v, p->n) < 0)
		return -ENOMEM;
	p->v[p->n++] = a;
	a = (struct plan_action){ 0 };
	return 0;
}

/*
 * The last action added is of device d: its type, for the notices, its
 * speed, for the controller's warning, and the rule that gives it a
 * domain now, for the journal.
 */
static int
typed(const struct world *w, struct plan *p, int r, const struct usbdev *d)
{
	struct plan_action *a;
	const struct claim *c;

	if (r < 0 || d == NULL)
		return r;
	a = &p->v[p->n - 1];
	a->vendor = d->vendor;
	a->product = d->product;
	a->speed = d->speed;
	c = world_claim(w, d);
	if (c->domain == NULL || c->line == 0)
		return 0;
	return rule_place(w->in->conf, c->line, &a->rule);
}

static int
plan_detach(const struct world *w, struct plan *p, const struct holding *h,
    enum plan_reason reason, const struct usbdev *d)
{
	bool here = h->valid && d != NULL;

	return typed(w, p, plan_add(p, PLAN_DETACH, reason, h->domain->name,
	    h->domain->uri, h->serial, h->hd->bus, h->hd->dev,
	    here ? d->port : NULL, h->hd->alias), here ? d : NULL);
}

static int
plan_attach(const struct world *w, struct plan *p, enum plan_reason reason,
    const struct vdomain *vd, const struct usbdev *d, bool manual)
{
	_cleanup_free_ char *alias = NULL;
	int r;

	r = alias_encode(d->serial, manual, &alias);
	if (r < 0)
		return r;
	return typed(w, p, plan_add(p, PLAN_ATTACH, reason, vd->name, vd->uri,
	    d->serial, d->bus, d->dev, d->port, alias), d);
}

/*
 * Converges one serial: stale and misplaced holdings go, the assignment
 * comes. Where the serial belongs is the claim's word for its device:
 * a serial rule that names another type, or a serial that other devices
 * have too, assigns it nowhere, and port and type rules may claim it.
 */
static int
converge_serial(const struct world *w, const char *serial, struct plan *p)
{
	const struct usbdev *d = world_device(w, serial);
	const struct claim *c = d != NULL ? world_claim(w, d) : NULL;
	const char *uri = NULL;
	const struct conf_domain *cd = world_assigned(w, serial, &uri);
	const struct vdomain *target = NULL;
	bool held = false;
	size_t n;
	const struct holding *const *hs = world_holdings(w, serial, &n);
	int r;

	/* A guest on another host cannot take this host's devices. */
	if (cd != NULL && world_remote(w, uri))
		return 0;
	if (cd != NULL)
		target = world_domain(w, uri, cd->name);
	/* A device lent by hand stays where it was lent while it stays plugged. */
	for (size_t i = 0; i < n; i++)
		if (hs[i]->kind == ALIAS_MANUAL && hs[i]->valid) {
			target = hs[i]->domain;
			break;
		}
	for (size_t i = 0; i < n; i++) {
		const struct holding *h = hs[i];
		enum plan_reason reason;

		if (!h->valid)
			reason = d != NULL || world_shared(w, serial) ?
			    PLAN_READDRESSED : PLAN_ABSENT;
		else if (d == NULL)
			continue;       /* on clones of one serial: it stays where it is */
		else if (target != NULL && !held && h->domain == target) {
			held = true;
			continue;
		} else
			reason = c->domain != NULL ? PLAN_REASSIGNED :
			    PLAN_UNASSIGNED;
		if (h->adopted && reason == PLAN_UNASSIGNED)
			continue;       /* never: adopting needs an assignment */
		r = plan_detach(w, p, h, reason, d);
		if (r < 0)
			return r;
	}
	if (d == NULL || target == NULL || held || !target->active ||
	    world_foreign_at(w, d->bus, d->dev) != NULL ||
	    c->kind != CLAIM_SERIAL || world_busy(w, d))
		return 0;
	return plan_attach(w, p, PLAN_MISSING, target, d, false);
}

/* The running guest a port or type claim sends its device to; NULL also when remote. */
static const struct vdomain *
claim_target(const struct world *w, const struct claim *c, bool *ret_remote)
{
	const char *uri;

	*ret_remote = false;
	if (c->kind != CLAIM_PORT && c->kind != CLAIM_TYPE)
		return NULL;
	uri = world_domain_uri(w, c->domain);
	if (world_remote(w, uri)) {
		*ret_remote = true;
		return NULL;
	}
	return world_domain(w, uri, c->domain->name);
}

/*
 * Why a port or type rule's hostdev is not where its rule wants it: the
 * device its alias names is now at another address (replugged, or with
 * another identity at the same port), gone, or assigned elsewhere or
 * nowhere. at_port: some present device is claimed by each port rule.
 */
/* The present device at a hostdev's address, or NULL. */
static const struct usbdev *
device_at(const struct world *w, const struct holding *h)
{
	return h->hd->has_address ? udevsnap_by_address(w->in->devices,
	    h->hd->bus, h->hd->dev) : NULL;
}

static enum plan_reason
rule_stale_reason(const struct world *w, const struct holding *h,
    const bool *at_port)
{
	const struct usbdev *d = device_at(w, h);
	const struct conf_rule_ref *r;
	const char *kport;

	if (d != NULL)
		return h->valid || world_claim(w, d)->domain != NULL ?
		    PLAN_REASSIGNED : PLAN_UNASSIGNED;
	if (h->kind == ALIAS_PORT) {
		r = conf_port_rule(w->in->conf, h->key);
		return r != NULL && at_port[r - w->in->conf->by_port] ?
		    PLAN_READDRESSED : PLAN_ABSENT;
	}
	/* A type rule's key is "vvvv:pppp@KPORT": the same type back at that port? */
	kport = strchr(h->key, '@') + 1;
	d = udevsnap_by_port(w->in->devices, kport);
	return d != NULL && world_claim(w, d)->kind == CLAIM_TYPE &&
	    world_type_key_is(h->key, d) ? PLAN_READDRESSED : PLAN_ABSENT;
}

static int
plan_attach_rule(const struct world *w, struct plan *p,
    const struct vdomain *vd, const struct usbdev *d, const struct claim *c)
{
	_cleanup_free_ char *alias = NULL;
	int r;

	r = c->kind == CLAIM_PORT ? alias_encode_port(c->port, &alias) :
	    alias_encode_type(d->vendor, d->product, d->port, &alias);
	if (r < 0)
		return r;
	return typed(w, p, plan_add(p, PLAN_ATTACH, PLAN_MISSING, vd->name,
	    vd->uri, d->serial, d->bus, d->dev, d->port, alias), d);
}

/*
 * Converges the port and type rules: each rule's hostdev stays while the
 * device at its address is the one its alias names and the rule sends it
 * to that guest; every other goes. Then each device a port or type rule
 * claims is attached where it is missing, unless something else holds
 * it: a foreign hostdev, or a serial's that stays.
 */
static int
converge_rules(const struct world *w, struct plan *p)
{
	const struct udevsnap *u = w->in->devices;
	const struct conf *conf = w->in->conf;
	_cleanup_free_ bool *kept = calloc(u->n + 1, sizeof(*kept));
	_cleanup_free_ bool *at_port = calloc(conf->n_by_port + 1,
	    sizeof(*at_port));
	int r;

	if (kept == NULL || at_port == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < u->n; i++)
		if (w->claims[i].kind == CLAIM_PORT)
			at_port[conf_port_rule(conf, w->claims[i].port) -
			    conf->by_port] = true;
	for (size_t i = 0; i < w->n; i++) {
		const struct holding *h = &w->h[i];
		const struct usbdev *d;
		const struct vdomain *target;
		bool remote;

		if (h->key == NULL)
			continue;
		d = h->valid ? udevsnap_by_address(u, h->hd->bus, h->hd->dev) :
		    NULL;
		target = d != NULL ? claim_target(w, world_claim(w, d), &remote) :
		    NULL;
		if (d != NULL && remote)
			continue;       /* another host's guest: left as it is */
		if (d != NULL && target == h->domain && !kept[d - u->v]) {
			kept[d - u->v] = true;
			continue;
		}
		r = plan_detach(w, p, h, rule_stale_reason(w, h, at_port), d);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < u->n; i++) {
		const struct usbdev *d = &u->v[i];
		const struct claim *c = &w->claims[i];
		const struct holding *s;
		const struct vdomain *target;
		bool remote;

		target = claim_target(w, c, &remote);
		if (target == NULL || !target->active || kept[i] ||
		    world_foreign_at(w, d->bus, d->dev) != NULL ||
		    world_foreign_of_type(w, d->vendor, d->product) != NULL ||
		    world_busy(w, d))
			continue;
		s = world_serial_holding_at(w, d->bus, d->dev);
		if (s != NULL && world_serial_hold_stays(w, s))
			continue;
		r = plan_attach_rule(w, p, target, d, c);
		if (r < 0)
			return r;
	}
	return 0;
}

static int
converge_all(const struct world *w, struct plan *p)
{
	const struct conf *conf = w->in->conf;
	int r;

	for (size_t i = 0; i < conf->n_domains; i++)
		for (size_t j = 0; j < conf->domains[i].n_serials; j++) {
			r = converge_serial(w, conf->domains[i].serials[j].serial,
			    p);
			if (r < 0)
				return r;
		}
	/* Serials the guests hold that the config does not name, once each. */
	for (size_t i = 0; i < w->n_held; i++) {
		const char *s = w->held[i]->serial;

		if ((i > 0 && strcmp(w->held[i - 1]->serial, s) == 0) ||
		    conf_domain_of(conf, s) != NULL)
			continue;
		r = converge_serial(w, s, p);
		if (r < 0)
			return r;
	}
	return converge_rules(w, p);
}

/*
 * Before the host saves its guests: a save image must not keep an address
 * that is stale once the host is back. Foreign hostdevs stay, as ever.
 */
static int
release_all(const struct world *w, struct plan *p)
{
	int r;

	for (size_t i = 0; i < w->n; i++) {
		const struct holding *h = &w->h[i];
		const struct usbdev *d;

		if (h->serial != NULL)
			d = world_device(w, h->serial);
		else if (h->key != NULL)        /* a port or type rule's */
			d = device_at(w, h);
		else
			continue;
		r = plan_detach(w, p, h, PLAN_RELEASED, d);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Whether a holding is bbvirt's: its alias, a lending, an adoption, or a rule's. */
static bool
owned(const struct holding *h)
{
	return h->serial != NULL || h->key != NULL;
}

/*
 * Whether detach x frees what attach a needs: the address it takes, or,
 * for a serial's attach, its serial held at an old address. A port or
 * type rule's attach of a device with a serial needs no serial freed.
 */
static bool
frees(const struct plan_action *x, const struct plan_action *a)
{
	return x->op == PLAN_DETACH && a->op == PLAN_ATTACH &&
	    ((x->bus == a->bus && x->dev == a->dev) ||
	    (x->serial != NULL && streq_null(x->serial, a->serial) &&
	    (strncmp(a->alias, ALIAS_PREFIX, strlen(ALIAS_PREFIX)) == 0 ||
	    strncmp(a->alias, ALIAS_MANUAL_PREFIX,
	    strlen(ALIAS_MANUAL_PREFIX)) == 0)));
}

static int
plan_copy(struct plan *p, const struct plan_action *a, enum plan_reason reason)
{
	int r = plan_add(p, a->op, reason, a->domain, a->uri, a->serial,
	    a->bus, a->dev, a->port, a->alias);

	if (r < 0)
		return r;
	p->v[p->n - 1].vendor = a->vendor;
	p->v[p->n - 1].product = a->product;
	p->v[p->n - 1].speed = a->speed;
	return strdup_null(a->rule, &p->v[p->n - 1].rule);
}

/* Copies sync's attach a, and the detaches of sync's plan that free it. */
static int
copy_with_frees(const struct plan *sync, const struct plan_action *a,
    struct plan *p)
{
	int r;

	for (size_t i = 0; i < sync->n; i++) {
		if (!frees(&sync->v[i], a))
			continue;
		r = plan_copy(p, &sync->v[i], sync->v[i].reason);
		if (r < 0)
			return r;
	}
	return plan_copy(p, a, PLAN_REQUESTED);
}

/* Whether a config domain (by key or name) is the one an action is on. */
static bool
action_on(const struct world *w, const struct plan_action *a,
    const char *domain)
{
	const struct conf_domain *cd = conf_find_domain(w->in->conf, domain);

	return strcmp(a->domain, cd != NULL ? cd->name : domain) == 0 &&
	    (cd == NULL || streq_null(a->uri, world_domain_uri(w, cd)));
}

/* The running guest -D names, or a refusal saying why there is none. */
static int
lend_target(const struct world *w, const struct plan_request *q,
    struct plan *p, const struct vdomain **ret)
{
	const struct conf_domain *cd = conf_find_domain(w->in->conf, q->domain);
	const char *name = cd != NULL ? cd->name : q->domain;
	const char *uri = world_domain_uri(w, cd);
	const char *serial = q->device->serial;
	const struct vdomain *vd;

	*ret = NULL;
	if (world_remote(w, uri))
		return refusal_add(p, PLAN_REFUSE_REMOTE, serial, name,
		    "domain '%s' on %s is on another host: it cannot take this host's devices",
		    name, uri);
	if (!virtsnap_uri_ok(w->in->guests, uri))
		return refusal_add(p, PLAN_REFUSE_UNREACHABLE, serial, name,
		    "domain '%s' cannot be reached at %s", name,
		    uri != NULL ? uri : "the default URI");
	vd = world_domain(w, uri, name);
	if (vd == NULL)
		return refusal_add(p, PLAN_REFUSE_NO_DOMAIN, serial, name,
		    "domain '%s' does not exist on %s", name,
		    uri != NULL ? uri : "the default URI");
	if (!vd->active)
		return refusal_add(p, PLAN_REFUSE_DOMAIN_DOWN, serial, name,
		    "domain '%s' is not running", name);
	*ret = vd;
	return 0;
}

/*
 * attach DEVICE -D DOMAIN, where the claim gives the device elsewhere or
 * nowhere: lent by hand, under an alias of its own, while nothing else
 * holds it. A lending names the device by its serial.
 */
static int
request_lend(const struct world *w, const struct plan_request *q,
    struct plan *p)
{
	const struct usbdev *d = q->device;
	const struct holding *f = world_foreign_at(w, d->bus, d->dev);
	const struct vdomain *target;
	size_t n;
	const struct holding *const *hs;
	int r;

	if (d->serial == NULL || world_shared(w, d->serial))
		return refusal_add(p, d->serial == NULL ?
		    PLAN_REFUSE_NO_SERIAL : PLAN_REFUSE_SHARED, d->serial,
		    q->domain,
		    "device '%s' (%u:%u) cannot be lent: only a device with a serial no other has can",
		    q->text, d->bus, d->dev);
	r = lend_target(w, q, p, &target);
	if (r < 0 || target == NULL)
		return r;
	if (f != NULL && f->hd->alias == NULL)
		return refusal_add(p, PLAN_REFUSE_FOREIGN, d->serial,
		    f->domain->name,
		    "device '%s' (%u:%u) is held by '%s' through a hostdev without alias, which bbvirt does not own: left alone",
		    q->text, d->bus, d->dev, f->domain->name);
	if (f != NULL)
		return refusal_add(p, PLAN_REFUSE_FOREIGN, d->serial,
		    f->domain->name,
		    "device '%s' (%u:%u) is held by '%s' through hostdev '%s', which bbvirt does not own: left alone",
		    q->text, d->bus, d->dev, f->domain->name, f->hd->alias);
	hs = world_holdings(w, d->serial, &n);
	for (size_t i = 0; i < n; i++) {
		if (!hs[i]->valid)
			continue;
		if (hs[i]->domain == target)
			return 0;       /* already there */
		return refusal_add(p, PLAN_REFUSE_HELD_ELSEWHERE, d->serial,
		    hs[i]->domain->name,
		    "device '%s' is attached to '%s'; detach it first",
		    q->text, hs[i]->domain->name);
	}
	hs = world_rule_holdings_at(w, d->bus, d->dev, &n);
	for (size_t i = 0; i < n; i++)
		if (hs[i]->valid)
			return refusal_add(p, PLAN_REFUSE_HELD_ELSEWHERE,
			    d->serial, hs[i]->domain->name,
			    "device '%s' is attached to '%s'; detach it first",
			    q->text, hs[i]->domain->name);
	hs = world_holdings(w, d->serial, &n);
	for (size_t i = 0; i < n; i++) {
		r = plan_detach(w, p, hs[i], PLAN_READDRESSED, d);
		if (r < 0)
			return r;
	}
	return plan_attach(w, p, PLAN_REQUESTED, target, d, true);
}

/*
 * Why sync attaches a device nowhere, as status says it: nothing when
 * it is where it belongs, else a refusal.
 */
static int
refuse_attach(const struct world *w, const struct plan_request *q,
    struct plan *p)
{
	const struct usbdev *d = q->device;
	const struct claim *c = world_claim(w, d);
	const char *holder = NULL;
	const char *alias = NULL;
	const char *uri;

	switch (world_device_state(w, d, &holder, &alias)) {
	case STATUS_ATTACHED:
	case STATUS_PENDING:
		return 0;
	case STATUS_FOREIGN:
		if (alias == NULL)
			return refusal_add(p, PLAN_REFUSE_FOREIGN, d->serial,
			    holder,
			    "device '%s' (%u:%u) is held by '%s' through a hostdev without alias, which bbvirt does not own: left alone",
			    q->text, d->bus, d->dev, holder);
		return refusal_add(p, PLAN_REFUSE_FOREIGN, d->serial, holder,
		    "device '%s' (%u:%u) is held by '%s' through hostdev '%s', which bbvirt does not own: left alone",
		    q->text, d->bus, d->dev, holder, alias);
	case STATUS_OVERRIDE:
		return refusal_add(p, PLAN_REFUSE_HELD_ELSEWHERE, d->serial,
		    holder, "device '%s' is attached to '%s'; detach it first",
		    q->text, holder);
	case STATUS_REMOTE:
		uri = world_domain_uri(w, c->domain);
		return refusal_add(p, PLAN_REFUSE_REMOTE, d->serial,
		    c->domain->name,
		    "domain '%s' on %s is on another host: it cannot take this host's devices",
		    c->domain->name, uri);
	case STATUS_SHARED:
		if (c->kind == CLAIM_SHARED)
			break;
		/* A clone's serial holding stays: the port or type rule waits. */
		return refusal_add(p, PLAN_REFUSE_SHARED, d->serial, holder,
		    "device '%s' (%u:%u) stays with '%s': its serial '%s' is on more than one plugged-in device",
		    q->text, d->bus, d->dev, holder, d->serial);
	case STATUS_BUSY:
		return refusal_add(p, PLAN_REFUSE_BUSY, d->serial, NULL,
		    "device '%s' (%u:%u) is busy on the host: a process holds it through usbfs; it is attached once that lets go",
		    q->text, d->bus, d->dev);
	case STATUS_DOMAIN_DOWN: {
		struct plan_request lq = *q;
		const struct vdomain *vd;

		lq.domain = c->domain->name;
		return lend_target(w, &lq, p, &vd);
	}
	default:
		break;
	}
	return refusal_add_claim(p, w->in->conf, c, d, q->text);
}

/*
 * attach-all: the devices the domain is given that sync attaches
 * nowhere because something else holds them, each with its reason; a
 * device that is absent, or whose domain is not running, is no refusal.
 */
static int
refuse_all(const struct world *w, const struct plan *sync,
    const struct plan_request *q, struct plan *p)
{
	const struct udevsnap *u = w->in->devices;
	int r;

	for (size_t i = 0; i < u->n; i++) {
		const struct usbdev *d = &u->v[i];
		const struct claim *c = &w->claims[i];
		struct plan_request one = { .op = PLAN_ATTACH, .device = d };
		const char *holder;
		const char *alias;
		bool attached = false;
		int st;

		if (c->domain == NULL || (q->domain != NULL &&
		    c->domain != conf_find_domain(w->in->conf, q->domain)))
			continue;
		for (size_t k = 0; k < sync->n; k++)
			attached = attached || (sync->v[k].op == PLAN_ATTACH &&
			    sync->v[k].bus == d->bus && sync->v[k].dev == d->dev);
		st = world_device_state(w, d, &holder, &alias);
		if (attached || (st != STATUS_FOREIGN &&
		    st != STATUS_OVERRIDE && st != STATUS_REMOTE &&
		    st != STATUS_BUSY))
			continue;
		/* Named by its serial, or by its port without one. */
		one.text = d->serial != NULL && w->shared[i] == 0 ? d->serial :
		    d->port;
		r = refuse_attach(w, &one, p);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * attach DEVICE does what sync would for it: sync's attach and the
 * detaches that free the device; attach-all, that for every device sync
 * attaches to the domain. -D lends a device the claim gives elsewhere.
 */
static int
request_attach(const struct world *w, const struct plan *sync,
    const struct plan_request *q, struct plan *p)
{
	const struct usbdev *d = q->device;
	const struct claim *c;
	int r;

	for (size_t i = 0; i < sync->n; i++) {
		const struct plan_action *a = &sync->v[i];

		if (a->op != PLAN_ATTACH || (q->all && q->domain != NULL &&
		    !action_on(w, a, q->domain)) || (!q->all &&
		    (a->bus != d->bus || a->dev != d->dev)))
			continue;
		if (!q->all && q->domain != NULL && !action_on(w, a, q->domain))
			break;  /* sync sends it elsewhere: -D lends it */
		r = copy_with_frees(sync, a, p);
		if (r < 0 || !q->all)
			return r;
	}
	if (q->all)
		return refuse_all(w, sync, q, p);
	c = world_claim(w, d);
	if (q->domain != NULL && (c->domain == NULL ||
	    c->domain != conf_find_domain(w->in->conf, q->domain)))
		return request_lend(w, q, p);
	return refuse_attach(w, q, p);
}

/* Whether an owned holding is one detach DEVICE means. */
static bool
request_matches(const struct world *w, const struct plan_request *q,
    const struct holding *h)
{
	const struct usbdev *d = q->device;
	bool at = q->has_address && h->hd->has_address &&
	    h->hd->bus == q->bus && h->hd->dev == q->dev;

	/* An event's address: that serial's hostdev, or all when the device is still there. */
	if (q->exact)
		return at && (d != NULL || streq_null(h->serial, q->serial));
	if (at)
		return true;
	if (d != NULL)
		return d->serial != NULL && !world_shared(w, d->serial) &&
		    streq_null(h->serial, d->serial);
	return q->serial != NULL && streq_null(h->serial, q->serial);
}

/*
 * detach DEVICE takes every hostdev bbvirt owns for the device, whichever
 * rule made it; detach-all every one in the domain but those lent by
 * hand. Foreign hostdevs are never touched.
 */
static int
request_detach(const struct world *w, const struct plan_request *q,
    struct plan *p)
{
	const struct vdomain *only = NULL;
	int r;

	if (q->domain != NULL) {
		const struct conf_domain *cd = conf_find_domain(w->in->conf,
		    q->domain);

		only = world_domain(w, world_domain_uri(w, cd),
		    cd != NULL ? cd->name : q->domain);
		if (only == NULL)
			return 0;
	}
	for (size_t i = 0; i < w->n; i++) {
		const struct holding *h = &w->h[i];

		if (!owned(h) || (only != NULL && h->domain != only))
			continue;
		if (q->all ? h->kind == ALIAS_MANUAL :
		    !request_matches(w, q, h))
			continue;
		r = plan_detach(w, p, h, PLAN_REQUESTED, h->serial != NULL ?
		    world_device(w, h->serial) : device_at(w, h));
		if (r < 0)
			return r;
	}
	return 0;
}

/* The domain names sync DOMAIN... names: as given, and through config keys. */
static bool
in_scope(const struct world *w, const struct plan_action *a)
{
	for (size_t i = 0; i < w->in->n_only; i++)
		if (action_on(w, a, w->in->only[i]))
			return true;
	return false;
}

/*
 * sync DOMAIN... keeps the actions on those domains, and the detaches
 * elsewhere that free a device one of them is about to receive.
 */
static int
plan_scope(const struct world *w, const struct plan *sync, struct plan *p)
{
	int r;

	for (size_t i = 0; i < sync->n; i++) {
		const struct plan_action *a = &sync->v[i];
		bool keep = in_scope(w, a);

		for (size_t k = 0; !keep && a->op == PLAN_DETACH && k < sync->n;
		    k++)
			keep = frees(a, &sync->v[k]) && in_scope(w, &sync->v[k]);
		if (keep && (r = plan_copy(p, a, a->reason)) < 0)
			return r;
	}
	return 0;
}

static int
action_cmp(const void *x, const void *y)
{
	const struct plan_action *a = x;
	const struct plan_action *b = y;
	int c;

	/*
	 * Detach before attach: libvirt refuses a host device that another
	 * guest still holds, and a replugged serial comes back elsewhere.
	 */
	if (a->op != b->op)
		return a->op < b->op ? -1 : 1;
	if ((c = strcmp(a->domain, b->domain)) != 0 ||
	    (c = strcmp_null(a->uri, b->uri)) != 0 ||
	    (c = strcmp_null(a->serial, b->serial)) != 0)
		return c;
	if (a->bus != b->bus)
		return a->bus < b->bus ? -1 : 1;
	if (a->dev != b->dev)
		return a->dev < b->dev ? -1 : 1;
	return strcmp_null(a->alias, b->alias);
}

/* Two requests can name one hostdev (detach-all over overlapping domains). */
static void
plan_dedup(struct plan *p)
{
	size_t o = 0;

	for (size_t i = 0; i < p->n; i++) {
		if (o > 0 && action_cmp(&p->v[o - 1], &p->v[i]) == 0)
			action_done(&p->v[i]);
		else
			p->v[o++] = p->v[i];
	}
	p->n = o;
}

/*
 * What sync plans: every assignment converged, sorted. A config that
 * assigns nothing changes nothing, bbvirt's own hostdevs included: sync,
 * and the *-all forms, leave the host as it is.
 */
static int
plan_sync(const struct world *w, struct plan **ret)
{
	_cleanup_(plan_freep) struct plan *p = calloc(1, sizeof(*p));
	int r;

	if (p == NULL)
		return -ENOMEM;
	r = conf_assigns(w->in->conf) ? converge_all(w, p) : 0;
	if (r < 0)
		return r;
	if (p->n > 0)
		qsort(p->v, p->n, sizeof(*p->v), action_cmp);
	*ret = TAKE_PTR(p);
	return 0;
}

/*
 * Every command but release starts from sync's plan and keeps what it
 * asks for: the one answer to where each device belongs.
 */
static int
plan_requests(const struct world *w, struct plan *p)
{
	const struct plan_input *in = w->in;
	_cleanup_(plan_freep) struct plan *sync = NULL;
	int r;

	r = plan_sync(w, &sync);
	if (r < 0)
		return r;
	if (in->requests == NULL && in->n_only == 0) {
		/* Moved whole: p is empty, sync keeps nothing. */
		*p = *sync;
		*sync = (struct plan){ 0 };
		return 0;
	}
	if (in->requests == NULL)
		return plan_scope(w, sync, p);
	for (size_t i = 0; i < in->n_requests; i++) {
		const struct plan_request *q = &in->requests[i];

		if (q->all && !conf_assigns(in->conf))
			continue;
		r = q->op == PLAN_ATTACH ? request_attach(w, sync, q, p) :
		    request_detach(w, q, p);
		if (r < 0)
			return r;
	}
	return 0;
}

int
plan_build(const struct plan_input *in, struct plan **ret_plan)
{
	_cleanup_(world_done) struct world w = { 0 };
	_cleanup_(plan_freep) struct plan *p = NULL;
	int r;

	r = world_build(in, &w);
	if (r < 0)
		return r;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	r = in->release ? release_all(&w, p) : plan_requests(&w, p);
	if (r < 0)
		return r;
	if (p->n > 0)
		qsort(p->v, p->n, sizeof(*p->v), action_cmp);
	plan_dedup(p);
	*ret_plan = TAKE_PTR(p);
	return 0;
}

void
plan_copy_results(struct plan *sync, const struct plan *part)
{
	size_t k = 0;

	/* Both sorted by action_cmp(): one walk. */
	for (size_t i = 0; i < part->n; i++) {
		const struct plan_action *a = &part->v[i];

		while (k < sync->n && action_cmp(&sync->v[k], a) < 0)
			k++;
		if (k < sync->n && action_cmp(&sync->v[k], a) == 0)
			sync->v[k].result = a->result;
	}
}

struct plan *
plan_free(struct plan *p)
{
	if (p == NULL)
		return NULL;
	for (size_t i = 0; i < p->n; i++)
		action_done(&p->v[i]);
	for (size_t i = 0; i < p->n_refusals; i++)
		plan_refusal_done(&p->refusals[i]);
	free(p->refusals);
	free(p->v);
	free(p);
	return NULL;
}

