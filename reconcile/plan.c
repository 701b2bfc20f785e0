#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alias.h"
#include "conf.h"
#include "plan.h"
#include "udevsnap.h"
#include "util.h"
#include "virtsnap.h"
#include "world.h"

static const char *const op_names[_PLAN_OP_MAX] = {
	[PLAN_DETACH] = "detach",
	[PLAN_ATTACH] = "attach",
};

static const char *const reason_names[_PLAN_REASON_MAX] = {
	[PLAN_MISSING] = "missing",
	[PLAN_REQUESTED] = "requested",
	[PLAN_ABSENT] = "absent",
	[PLAN_READDRESSED] = "readdressed",
	[PLAN_REASSIGNED] = "reassigned",
	[PLAN_UNASSIGNED] = "unassigned",
	[PLAN_RELEASED] = "released",
};

static const char *const result_names[_PLAN_RESULT_MAX] = {
	[PLAN_PLANNED] = "planned",
	[PLAN_DONE] = "done",
	[PLAN_FAILED] = "failed",
	[PLAN_STOPPED] = "stopped",
};

static const char *const refusal_names[_PLAN_REFUSE_MAX] = {
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
};

const char *
plan_op_to_string(enum plan_op op)
{
	return op < _PLAN_OP_MAX ? op_names[op] : NULL;
}

const char *
plan_reason_to_string(enum plan_reason r)
{
	return r < _PLAN_REASON_MAX ? reason_names[r] : NULL;
}

const char *
plan_result_to_string(enum plan_result r)
{
	return r < _PLAN_RESULT_MAX ? result_names[r] : NULL;
}

const char *
plan_refusal_kind_to_string(enum plan_refusal_kind k)
{
	return k < _PLAN_REFUSE_MAX ? refusal_names[k] : NULL;
}

static void
action_done(struct plan_action *a)
{
	free(a->domain);
	free(a->uri);
	free(a->serial);
	free(a->port);
	free(a->alias);
	free(a->error);
}

static int
plan_add(struct plan *p, enum plan_op op, enum plan_reason reason,
    const char *domain, const char *uri, const char *serial, unsigned bus,
    unsigned dev, const char *port, const char *alias)
{
	struct plan_action a = {
		.op = op, .reason = reason, .bus = bus, .dev = dev,
		.result = PLAN_PLANNED,
	};
	struct plan_action *v;

	if (strdup_null(domain, &a.domain) < 0 || strdup_null(uri, &a.uri) < 0 ||
	    strdup_null(serial, &a.serial) < 0 ||
	    strdup_null(port, &a.port) < 0 || strdup_null(alias, &a.alias) < 0) {
		action_done(&a);
		return -ENOMEM;
	}
	if (array_grow(&p->v, p->n, 0, sizeof(*v)) < 0) {
		action_done(&a);
		return -ENOMEM;
	}
	v = p->v;
	p->v[p->n++] = a;
	return 0;
}

static int
plan_detach(struct plan *p, const struct holding *h, enum plan_reason reason,
    const struct usbdev *d)
{
	return plan_add(p, PLAN_DETACH, reason, h->domain->name, h->domain->uri,
	    h->serial, h->hd->bus, h->hd->dev,
	    h->valid && d != NULL ? d->port : NULL, h->hd->alias);
}

static int
plan_attach(struct plan *p, enum plan_reason reason, const struct vdomain *vd,
    const struct usbdev *d, bool manual)
{
	_cleanup_free_ char *alias = NULL;
	int r;

	r = alias_encode(d->serial, manual, &alias);
	if (r < 0)
		return r;
	return plan_add(p, PLAN_ATTACH, reason, vd->name, vd->uri, d->serial,
	    d->bus, d->dev, d->port, alias);
}

/* Converges one serial: stale and misplaced holdings go, the assignment comes. */
static int
converge_serial(const struct world *w, const char *serial, struct plan *p)
{
	const struct usbdev *d = world_device(w, serial);
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
			reason = d != NULL ? PLAN_READDRESSED : PLAN_ABSENT;
		else if (d == NULL)
			continue;       /* on clones of one serial: it stays where it is */
		else if (target != NULL && !held && h->domain == target) {
			held = true;
			continue;
		} else
			reason = cd != NULL ? PLAN_REASSIGNED : PLAN_UNASSIGNED;
		if (h->adopted && reason == PLAN_UNASSIGNED)
			continue;       /* never: adopting needs an assignment */
		r = plan_detach(p, h, reason, d);
		if (r < 0)
			return r;
	}
	if (d == NULL || target == NULL || held || !target->active ||
	    world_foreign_at(w, d->bus, d->dev) != NULL ||
	    world_claim(w, d)->kind != CLAIM_SERIAL)
		return 0;
	return plan_attach(p, PLAN_MISSING, target, d, false);
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
plan_attach_rule(struct plan *p, const struct vdomain *vd,
    const struct usbdev *d, const struct claim *c)
{
	_cleanup_free_ char *alias = NULL;
	int r;

	r = c->kind == CLAIM_PORT ? alias_encode_port(c->port, &alias) :
	    alias_encode_type(d->vendor, d->product, d->port, &alias);
	if (r < 0)
		return r;
	return plan_add(p, PLAN_ATTACH, PLAN_MISSING, vd->name, vd->uri,
	    d->serial, d->bus, d->dev, d->port, alias);
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
		r = plan_detach(p, h, rule_stale_reason(w, h, at_port), d);
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
		    world_foreign_of_type(w, d->vendor, d->product) != NULL)
			continue;
		s = world_serial_holding_at(w, d->bus, d->dev);
		if (s != NULL && world_serial_hold_stays(w, s, d))
			continue;
		r = plan_attach_rule(p, target, d, c);
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
		r = plan_detach(p, h, PLAN_RELEASED, d);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Where an attach request goes: -D's domain, else the config's. */
static int
attach_target(const struct world *w, const struct plan_request *q,
    struct plan *p, const struct vdomain **ret, bool *ret_manual)
{
	const struct conf *conf = w->in->conf;
	const char *auri = NULL;
	const struct conf_domain *assigned = world_assigned(w, q->serial, &auri);
	const struct conf_domain *cd = assigned;
	const char *name;
	const char *uri;
	const struct vdomain *vd;

	*ret = NULL;
	if (q->domain != NULL)
		cd = conf_find_domain(conf, q->domain);
	else if (assigned == NULL)
		return refusal_add(p, PLAN_REFUSE_UNASSIGNED, q->serial, NULL,
		    "device '%s' is not assigned to a domain; name one with -D",
		    q->serial);
	name = cd != NULL ? cd->name : q->domain;
	uri = world_domain_uri(w, cd);
	*ret_manual = q->domain != NULL && cd != assigned;
	if (world_remote(w, uri))
		return refusal_add(p, PLAN_REFUSE_REMOTE, q->serial, name,
		    "domain '%s' on %s is on another host: it cannot take this host's devices",
		    name, uri);
	if (!virtsnap_uri_ok(w->in->guests, uri))
		return q->quiet ? 0 : refusal_add(p, PLAN_REFUSE_UNREACHABLE,
		    q->serial, name, "domain '%s' cannot be reached at %s", name,
		    uri != NULL ? uri : "the default URI");
	vd = world_domain(w, uri, name);
	if (vd == NULL)
		return q->quiet ? 0 : refusal_add(p, PLAN_REFUSE_NO_DOMAIN,
		    q->serial, name, "domain '%s' does not exist on %s", name,
		    uri != NULL ? uri : "the default URI");
	if (!vd->active)
		return q->quiet ? 0 : refusal_add(p, PLAN_REFUSE_DOMAIN_DOWN,
		    q->serial, name, "domain '%s' is not running", name);
	*ret = vd;
	return 0;
}

static int
request_attach(const struct world *w, const struct plan_request *q,
    struct plan *p)
{
	const struct usbdev *d = world_device(w, q->serial);
	const struct holding *f;
	const struct vdomain *target;
	bool manual = false;
	size_t n;
	const struct holding *const *hs;
	int r;

	if (d == NULL)
		return q->quiet ? 0 : refusal_add(p, PLAN_REFUSE_NOT_PLUGGED,
		    q->serial, NULL, "no managed device '%s' is plugged in",
		    q->serial);
	r = attach_target(w, q, p, &target, &manual);
	if (r < 0 || target == NULL)
		return r;
	f = world_foreign_at(w, d->bus, d->dev);
	if (f != NULL && f->hd->alias == NULL)
		return refusal_add(p, PLAN_REFUSE_FOREIGN, q->serial,
		    f->domain->name,
		    "device '%s' (%u:%u) is held by '%s' through a hostdev without alias, which bbvirt does not own: left alone",
		    q->serial, d->bus, d->dev, f->domain->name);
	if (f != NULL)
		return refusal_add(p, PLAN_REFUSE_FOREIGN, q->serial,
		    f->domain->name,
		    "device '%s' (%u:%u) is held by '%s' through hostdev '%s', which bbvirt does not own: left alone",
		    q->serial, d->bus, d->dev, f->domain->name, f->hd->alias);
	hs = world_holdings(w, q->serial, &n);
	for (size_t i = 0; i < n; i++) {
		if (!hs[i]->valid)
			continue;
		if (hs[i]->domain == target)
			return 0;       /* already where it belongs */
		return refusal_add(p, PLAN_REFUSE_HELD_ELSEWHERE, q->serial,
		    hs[i]->domain->name,
		    "device '%s' is attached to '%s'; detach it first",
		    q->serial, hs[i]->domain->name);
	}
	for (size_t i = 0; i < n; i++) {
		r = plan_detach(p, hs[i], PLAN_READDRESSED, d);
		if (r < 0)
			return r;
	}
	return plan_attach(p, PLAN_REQUESTED, target, d, manual);
}

static bool
request_matches(const struct plan_request *q, const struct vdomain *only,
    const struct holding *h)
{
	bool at = q->has_address && h->hd->has_address &&
	    h->hd->bus == q->bus && h->hd->dev == q->dev;

	if (h->serial == NULL)
		return false;   /* foreign: never touched */
	if (only != NULL && h->domain != only)
		return false;
	if (q->keep_lent && h->kind == ALIAS_MANUAL)
		return false;
	if (q->exact)
		return at && strcmp(h->serial, q->serial) == 0;
	if (q->serial != NULL)
		return strcmp(h->serial, q->serial) == 0;
	return at;
}

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

		if (!request_matches(q, only, h))
			continue;
		r = plan_detach(p, h, PLAN_REQUESTED, world_device(w, h->serial));
		if (r < 0)
			return r;
	}
	return 0;
}

static int
cmp_addr(const void *x, const void *y)
{
	unsigned a = *(const unsigned *)x;
	unsigned b = *(const unsigned *)y;

	return a < b ? -1 : a > b;
}

/* The domain names sync DOMAIN... names: as given, and through config keys. */
static bool
in_scope(const struct plan_input *in, const char *const *names,
    const struct plan_action *a)
{
	for (size_t i = 0; i < 2 * in->n_only; i++)
		if (names[i] != NULL && strcmp(a->domain, names[i]) == 0)
			return true;
	return false;
}

/*
 * sync DOMAIN... keeps the actions on those domains, and the detaches
 * elsewhere that free a device one of them is about to receive.
 */
static int
plan_scope(const struct plan_input *in, struct plan *p)
{
	_cleanup_free_ const char **names = calloc(2 * in->n_only,
	    sizeof(*names));
	_cleanup_free_ const char **wanted = calloc(p->n + 1, sizeof(*wanted));
	_cleanup_free_ unsigned *addrs = calloc(p->n + 1, sizeof(*addrs));
	size_t n_wanted = 0;
	size_t n_addrs = 0;
	size_t o = 0;

	if (names == NULL || wanted == NULL || addrs == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < in->n_only; i++) {
		const struct conf_domain *cd = conf_find_domain(in->conf,
		    in->only[i]);

		names[2 * i] = in->only[i];
		names[2 * i + 1] = cd != NULL ? cd->name : NULL;
	}
	/*
	 * The serials the domains in scope are about to receive, and the
	 * addresses of the devices port and type rules send them.
	 */
	for (size_t i = 0; i < p->n; i++) {
		if (p->v[i].op != PLAN_ATTACH || !in_scope(in, names, &p->v[i]))
			continue;
		if (p->v[i].serial != NULL)
			wanted[n_wanted++] = p->v[i].serial;
		addrs[n_addrs++] = p->v[i].bus << 8 | p->v[i].dev;
	}
	if (n_wanted > 1)
		qsort(wanted, n_wanted, sizeof(*wanted), strcmp_ptr);
	if (n_addrs > 1)
		qsort(addrs, n_addrs, sizeof(*addrs), cmp_addr);
	for (size_t i = 0; i < p->n; i++) {
		const char *serial = p->v[i].serial;
		unsigned addr = p->v[i].bus << 8 | p->v[i].dev;
		bool keep = in_scope(in, names, &p->v[i]) ||
		    (p->v[i].op == PLAN_DETACH && serial != NULL &&
		    bsearch(&serial, wanted, n_wanted, sizeof(*wanted),
		    strcmp_ptr) != NULL) ||
		    (p->v[i].op == PLAN_DETACH && serial == NULL &&
		    p->v[i].port != NULL && bsearch(&addr, addrs, n_addrs,
		    sizeof(*addrs), cmp_addr) != NULL);

		if (keep)
			p->v[o++] = p->v[i];
		else
			action_done(&p->v[i]);
	}
	p->n = o;
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

int
plan_build(const struct plan_input *in, struct plan **ret_plan)
{
	_cleanup_(world_done) struct world w = { 0 };
	struct plan *p;
	int r;

	r = world_build(in, &w);
	if (r < 0)
		return r;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	if (in->release)
		r = release_all(&w, p);
	else if (in->requests == NULL)
		r = converge_all(&w, p);
	for (size_t i = 0; r >= 0 && !in->release && in->requests != NULL &&
	    i < in->n_requests; i++)
		r = in->requests[i].op == PLAN_ATTACH ?
		    request_attach(&w, &in->requests[i], p) :
		    request_detach(&w, &in->requests[i], p);
	if (r >= 0 && !in->release && in->n_only > 0)
		r = plan_scope(in, p);
	if (r < 0) {
		plan_free(p);
		return r;
	}
	if (p->n > 0)
		qsort(p->v, p->n, sizeof(*p->v), action_cmp);
	plan_dedup(p);
	*ret_plan = p;
	return 0;
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

