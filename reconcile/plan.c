#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alias.h"
#include "conf.h"
#include "plan.h"
#include "udevsnap.h"
#include "util.h"
#include "virtsnap.h"

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
};

static const char *const result_names[_PLAN_RESULT_MAX] = {
	[PLAN_PLANNED] = "planned",
	[PLAN_DONE] = "done",
	[PLAN_FAILED] = "failed",
};

static const char *const state_names[_STATUS_STATE_MAX] = {
	[STATUS_ATTACHED] = "attached",
	[STATUS_PENDING] = "pending",
	[STATUS_ABSENT] = "absent",
	[STATUS_DOMAIN_DOWN] = "domain-down",
	[STATUS_UNASSIGNED] = "unassigned",
	[STATUS_STALE] = "stale",
	[STATUS_FOREIGN] = "foreign",
	[STATUS_OVERRIDE] = "override",
	[STATUS_UNUSABLE] = "no-serial",
	[STATUS_SHARED] = "shared",
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
status_state_to_string(enum status_state s)
{
	return s < _STATUS_STATE_MAX ? state_names[s] : NULL;
}

/* A USB hostdev in a running guest, with what bbvirt makes of it. */
struct holding {
	const struct vdomain *domain;
	const struct hostdev *hd;
	int kind;               /* enum alias_kind */
	char *serial;           /* ours, lent, or adopted by address; NULL: foreign */
	bool valid;             /* the serial is plugged in at the hostdev's address */
};

/*
 * The inputs with the lookups the planner makes for every serial, sorted
 * once, so that a run costs O(n log n) in guests, devices and hostdevs: a
 * host with thousands of them runs this on every udev event. (Devices by
 * address need no index: the snapshot is in that order.)
 */
struct world {
	const struct plan_input *in;
	struct holding *h;
	size_t n;
	const struct usbdev **dev_serial;       /* present, with a serial; by serial */
	size_t n_dev_serial;
	const struct holding **held;            /* with a serial; by serial, then guest order */
	size_t n_held;
	const struct holding **foreign;         /* no serial, an address; by bus:dev */
	size_t n_foreign;
	const struct vdomain **doms;            /* by name, then URI */
	size_t n_doms;
};

static void
world_done(struct world *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->h[i].serial);
	free(w->h);
	free(w->dev_serial);
	free(w->held);
	free(w->foreign);
	free(w->doms);
}

static bool
at_address(const struct hostdev *hd, const struct usbdev *d)
{
	return d != NULL && hd->has_address && hd->bus == d->bus &&
	    hd->dev == d->dev;
}

/* Comparisons of pointers to the elements, for sorting and searching. */
static int
cmp_unsigned(unsigned a, unsigned b)
{
	return a < b ? -1 : a > b;
}

static int
held_cmp(const void *x, const void *y)
{
	const struct holding *const *a = x;
	const struct holding *const *b = y;

	return strcmp((*a)->serial, (*b)->serial);
}

static int
foreign_cmp(const void *x, const void *y)
{
	const struct holding *const *a = x;
	const struct holding *const *b = y;

	return cmp_unsigned((*a)->hd->bus, (*b)->hd->bus) ?:
	    cmp_unsigned((*a)->hd->dev, (*b)->hd->dev);
}

static int
dom_cmp(const void *x, const void *y)
{
	const struct vdomain *const *a = x;
	const struct vdomain *const *b = y;

	return strcmp((*a)->name, (*b)->name) ?: strcmp_null((*a)->uri, (*b)->uri);
}

/* The present device with this serial, or NULL. */
static const struct usbdev *
device_of(const struct world *w, const char *serial)
{
	const struct usbdev k = { .serial = (char *)serial };
	const struct usbdev *kp = &k;
	const struct usbdev *const *d = bsearch(&kp, w->dev_serial,
	    w->n_dev_serial, sizeof(*w->dev_serial), usbdev_serial_cmp);

	return d != NULL ? *d : NULL;
}

/* The hostdevs that hold serial, in guest order: *ret_n of them. */
static const struct holding *const *
holdings_of(const struct world *w, const char *serial, size_t *ret_n)
{
	const struct holding k = { .serial = (char *)serial };
	const struct holding *kp = &k;
	size_t i = lower_bound(w->held, w->n_held, sizeof(*w->held), &kp,
	    held_cmp);
	size_t e = i;

	while (e < w->n_held && held_cmp(&w->held[e], &kp) == 0)
		e++;
	*ret_n = e - i;
	return &w->held[i];
}

static int
index_world(struct world *w)
{
	const struct udevsnap *u = w->in->devices;
	const struct virtsnap *g = w->in->guests;

	w->dev_serial = calloc(u->n + 1, sizeof(*w->dev_serial));
	w->doms = calloc(g->n_domains + 1, sizeof(*w->doms));
	if (w->dev_serial == NULL || w->doms == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < u->n; i++)
		if (u->v[i].serial != NULL)
			w->dev_serial[w->n_dev_serial++] = &u->v[i];
	for (size_t i = 0; i < g->n_domains; i++)
		w->doms[w->n_doms++] = &g->domains[i];
	sort_ptrs(w->dev_serial, w->n_dev_serial, usbdev_serial_cmp);
	sort_ptrs(w->doms, w->n_doms, dom_cmp);
	return 0;
}

static int
index_holdings(struct world *w)
{
	w->held = calloc(w->n + 1, sizeof(*w->held));
	w->foreign = calloc(w->n + 1, sizeof(*w->foreign));
	if (w->held == NULL || w->foreign == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < w->n; i++)
		if (w->h[i].serial != NULL)
			w->held[w->n_held++] = &w->h[i];
		else if (w->h[i].hd->has_address)
			w->foreign[w->n_foreign++] = &w->h[i];
	sort_ptrs(w->held, w->n_held, held_cmp);
	sort_ptrs(w->foreign, w->n_foreign, foreign_cmp);
	return 0;
}

/*
 * Reads every USB hostdev of every running guest. One without a user
 * alias at the address of a managed device is adopted: the original
 * bbvirt attached them so.
 */
static int
world_build(const struct plan_input *in, struct world *ret)
{
	_cleanup_(world_done) struct world w = { .in = in };
	const struct virtsnap *g = in->guests;
	size_t n = 0;
	int r;

	r = index_world(&w);
	if (r < 0)
		return r;
	for (size_t i = 0; i < g->n_domains; i++)
		if (g->domains[i].active)
			n += g->domains[i].hostdevs.n;
	w.h = calloc(n + 1, sizeof(*w.h));
	if (w.h == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < g->n_domains; i++) {
		const struct vdomain *vd = &g->domains[i];

		for (size_t j = 0; vd->active && j < vd->hostdevs.n; j++) {
			const struct hostdev *hd = &vd->hostdevs.v[j];
			struct holding *h = &w.h[w.n];
			const struct usbdev *d;

			*h = (struct holding){ .domain = vd, .hd = hd };
			h->kind = alias_decode(hd->alias, &h->serial);
			if (h->kind < 0)
				return -ENOMEM;
			w.n++;
			if (h->kind == ALIAS_NONE && hd->has_address) {
				d = udevsnap_by_address(in->devices, hd->bus,
				    hd->dev);
				if (d != NULL && d->serial != NULL) {
					h->serial = strdup(d->serial);
					if (h->serial == NULL)
						return -ENOMEM;
				}
			}
			if (h->serial != NULL)
				h->valid = at_address(hd, device_of(&w, h->serial));
		}
	}
	r = index_holdings(&w);
	if (r < 0)
		return r;
	*ret = w;
	w = (struct world){ 0 };
	return 0;
}

static bool
same_domain(const struct vdomain *d, const char *uri, const char *name)
{
	return streq_null(d->uri, uri) && strcmp(d->name, name) == 0;
}

/* Where the config wants a serial: domain name and URI; false when nowhere. */
static bool
assigned_to(const struct plan_input *in, const char *serial,
    const char **ret_name, const char **ret_uri)
{
	const struct conf_domain *cd = conf_domain_of(in->conf, serial);

	if (cd == NULL)
		return false;
	*ret_name = cd->name;
	*ret_uri = virtsnap_uri(in->guests,
	    conf_domain_uri(in->conf, cd, in->uri_override));
	return true;
}

/* The domain name on uri (NULL: the default) runs. */
static bool
domain_active(const struct world *w, const char *uri, const char *name)
{
	const struct vdomain k = {
		.name = (char *)name,
		.uri = virtsnap_uri(w->in->guests, uri),
	};
	const struct vdomain *kp = &k;
	const struct vdomain *const *d = bsearch(&kp, w->doms, w->n_doms,
	    sizeof(*w->doms), dom_cmp);

	return d != NULL && (*d)->active;
}

/* A hostdev bbvirt does not own holds this device's address. */
static bool
foreign_holds(const struct world *w, const struct usbdev *d)
{
	const struct hostdev khd = {
		.has_address = true, .bus = d->bus, .dev = d->dev,
	};
	const struct holding k = { .hd = &khd };
	const struct holding *kp = &k;

	return bsearch(&kp, w->foreign, w->n_foreign, sizeof(*w->foreign),
	    foreign_cmp) != NULL;
}

static int
dup_or_null(const char *s, char **ret)
{
	*ret = NULL;
	if (s == NULL)
		return 0;
	*ret = strdup(s);
	return *ret == NULL ? -ENOMEM : 0;
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

	if (dup_or_null(domain, &a.domain) < 0 || dup_or_null(uri, &a.uri) < 0 ||
	    dup_or_null(serial, &a.serial) < 0 ||
	    dup_or_null(port, &a.port) < 0 || dup_or_null(alias, &a.alias) < 0) {
		action_done(&a);
		return -ENOMEM;
	}
	v = reallocarray(p->v, p->n + 1, sizeof(*v));
	if (v == NULL) {
		action_done(&a);
		return -ENOMEM;
	}
	p->v = v;
	p->v[p->n++] = a;
	return 0;
}

static int
plan_detach(struct plan *p, const struct holding *h, enum plan_reason reason,
    const struct usbdev *d)
{
	return plan_add(p, PLAN_DETACH, reason, h->domain->name, h->domain->uri,
	    h->serial, h->hd->bus, h->hd->dev, h->valid ? d->port : NULL,
	    h->hd->alias);
}

static int
plan_attach(struct plan *p, enum plan_reason reason, const char *domain,
    const char *uri, const struct usbdev *d, bool manual)
{
	_cleanup_free_ char *alias = NULL;
	int r;

	r = alias_encode(d->serial, manual, &alias);
	if (r < 0)
		return r;
	return plan_add(p, PLAN_ATTACH, reason, domain, uri, d->serial, d->bus,
	    d->dev, d->port, alias);
}

/* Converges one serial: stale and misplaced holdings go, the assignment comes. */
static int
converge_serial(const struct world *w, const char *serial, struct plan *p)
{
	const struct plan_input *in = w->in;
	const struct usbdev *d = device_of(w, serial);
	const char *name = NULL;
	const char *uri = NULL;
	bool assigned = assigned_to(in, serial, &name, &uri);
	bool held = false;
	size_t n;
	const struct holding *const *hs = holdings_of(w, serial, &n);
	int r;

	/* A device lent by hand stays where it was lent while it stays plugged. */
	for (size_t i = 0; i < n; i++)
		if (hs[i]->kind == ALIAS_MANUAL && hs[i]->valid) {
			name = hs[i]->domain->name;
			uri = hs[i]->domain->uri;
			break;
		}
	for (size_t i = 0; i < n; i++) {
		const struct holding *h = hs[i];
		enum plan_reason reason;

		if (!h->valid)
			reason = d != NULL ? PLAN_READDRESSED : PLAN_ABSENT;
		else if (name != NULL && !held &&
		    same_domain(h->domain, uri, name)) {
			held = true;
			continue;
		} else
			reason = assigned ? PLAN_REASSIGNED : PLAN_UNASSIGNED;
		r = plan_detach(p, h, reason, d);
		if (r < 0)
			return r;
	}
	if (d == NULL || name == NULL || held || foreign_holds(w, d) ||
	    !domain_active(w, uri, name))
		return 0;
	return plan_attach(p, PLAN_MISSING, name, uri, d, false);
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
	return 0;
}

static bool
request_matches(const struct plan_request *q, const struct holding *h)
{
	if (q->serial != NULL && h->serial != NULL &&
	    strcmp(q->serial, h->serial) == 0)
		return true;
	/* After a remove event only the address is left; ours or the original's. */
	return q->has_address && h->hd->has_address && h->hd->bus == q->bus &&
	    h->hd->dev == q->dev && h->kind != ALIAS_FOREIGN;
}

static int
request_attach(const struct world *w, const struct plan_request *q,
    struct plan *p)
{
	const struct plan_input *in = w->in;
	const struct usbdev *d = device_of(w, q->serial);
	const struct conf_domain *cd = NULL;
	const char *name = NULL;
	const char *uri = NULL;
	bool assigned = assigned_to(in, q->serial, &name, &uri);
	bool manual = false;
	int r;

	if (d == NULL)
		return 0;
	if (q->domain != NULL) {
		cd = conf_find_domain(in->conf, q->domain);
		manual = !assigned || cd == NULL || strcmp(cd->name, name) != 0;
		name = cd != NULL ? cd->name : q->domain;
		uri = virtsnap_uri(in->guests,
		    conf_domain_uri(in->conf, cd, in->uri_override));
	}
	if (name == NULL || !domain_active(w, uri, name))
		return 0;
	for (size_t i = 0; i < w->n; i++) {
		const struct holding *h = &w->h[i];
		struct plan_conflict *v;
		char *s;
		char *dn;

		if (!h->valid || !request_matches(q, h) ||
		    same_domain(h->domain, uri, name))
			continue;
		v = reallocarray(p->conflicts, p->n_conflicts + 1, sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		p->conflicts = v;
		s = strdup(q->serial);
		dn = strdup(h->domain->name);
		if (s == NULL || dn == NULL) {
			free(s);
			free(dn);
			return -ENOMEM;
		}
		v[p->n_conflicts++] = (struct plan_conflict){ s, dn };
		return 0;
	}
	for (size_t i = 0; i < w->n; i++) {
		const struct holding *h = &w->h[i];

		if (!request_matches(q, h))
			continue;
		if (h->valid)
			return 0;       /* already where it belongs */
		r = plan_detach(p, h, d != NULL ? PLAN_READDRESSED : PLAN_ABSENT,
		    d);
		if (r < 0)
			return r;
	}
	if (foreign_holds(w, d))
		return 0;
	return plan_attach(p, PLAN_REQUESTED, name, uri, d, manual);
}

static int
request_detach(const struct world *w, const struct plan_request *q,
    struct plan *p)
{
	int r;

	for (size_t i = 0; i < w->n; i++) {
		const struct holding *h = &w->h[i];
		const struct usbdev *d = h->serial == NULL ? NULL :
		    device_of(w, h->serial);

		if (!request_matches(q, h))
			continue;
		r = plan_add(p, PLAN_DETACH, PLAN_REQUESTED, h->domain->name,
		    h->domain->uri, h->serial != NULL ? h->serial : q->serial,
		    h->hd->bus, h->hd->dev, h->valid ? d->port : NULL,
		    h->hd->alias);
		if (r < 0)
			return r;
	}
	return 0;
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
	size_t n_wanted = 0;
	size_t o = 0;

	if (names == NULL || wanted == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < in->n_only; i++) {
		const struct conf_domain *cd = conf_find_domain(in->conf,
		    in->only[i]);

		names[2 * i] = in->only[i];
		names[2 * i + 1] = cd != NULL ? cd->name : NULL;
	}
	/* The serials the domains in scope are about to receive. */
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].op == PLAN_ATTACH && in_scope(in, names, &p->v[i]))
			wanted[n_wanted++] = p->v[i].serial;
	if (n_wanted > 1)
		qsort(wanted, n_wanted, sizeof(*wanted), strcmp_ptr);
	for (size_t i = 0; i < p->n; i++) {
		const char *serial = p->v[i].serial;
		bool keep = in_scope(in, names, &p->v[i]) ||
		    (p->v[i].op == PLAN_DETACH && serial != NULL &&
		    bsearch(&serial, wanted, n_wanted, sizeof(*wanted),
		    strcmp_ptr) != NULL);

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
	if (in->requests == NULL)
		r = converge_all(&w, p);
	for (size_t i = 0; r >= 0 && in->requests != NULL &&
	    i < in->n_requests; i++)
		r = in->requests[i].op == PLAN_ATTACH ?
		    request_attach(&w, &in->requests[i], p) :
		    request_detach(&w, &in->requests[i], p);
	if (r >= 0 && in->n_only > 0)
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
	for (size_t i = 0; i < p->n_conflicts; i++) {
		free(p->conflicts[i].serial);
		free(p->conflicts[i].domain);
	}
	free(p->conflicts);
	free(p->v);
	free(p);
	return NULL;
}

static void
status_device_done(struct status_device *sd)
{
	free(sd->serial);
	free(sd->port);
	free(sd->assigned);
	free(sd->attached);
}

struct status *
status_free(struct status *st)
{
	if (st == NULL)
		return NULL;
	for (size_t i = 0; i < st->n_devices; i++)
		status_device_done(&st->devices[i]);
	for (size_t i = 0; i < st->n_domains; i++) {
		free(st->domains[i].name);
		free(st->domains[i].uri);
		free(st->domains[i].serials);
	}
	free(st->devices);
	free(st->domains);
	free(st);
	return NULL;
}

static enum status_state
device_state(const struct world *w, const char *serial, const struct usbdev *d,
    const char **ret_attached)
{
	const struct plan_input *in = w->in;
	const char *name = NULL;
	const char *uri = NULL;
	bool assigned = assigned_to(in, serial, &name, &uri);
	bool stale = false;
	bool home = false;
	bool elsewhere = false;
	const struct holding *const *hs;
	size_t n;

	*ret_attached = NULL;
	if (d != NULL && foreign_holds(w, d))
		return STATUS_FOREIGN;
	hs = holdings_of(w, serial, &n);
	for (size_t i = 0; i < n; i++) {
		const struct holding *h = hs[i];

		if (*ret_attached == NULL || h->valid)
			*ret_attached = h->domain->name;
		if (!h->valid)
			stale = true;
		else if (h->kind == ALIAS_MANUAL)
			return STATUS_OVERRIDE;
		else if (assigned && same_domain(h->domain, uri, name))
			home = true;
		else
			elsewhere = true;
	}
	if (d == NULL && udevsnap_shared(in->devices, serial))
		return STATUS_SHARED;
	if (stale)
		return STATUS_STALE;
	if (d == NULL)
		return STATUS_ABSENT;
	if (elsewhere)
		return STATUS_PENDING;
	if (!assigned)
		return STATUS_UNASSIGNED;
	if (home)
		return STATUS_ATTACHED;
	if (!domain_active(w, uri, name))
		return STATUS_DOMAIN_DOWN;
	return STATUS_PENDING;
}

static int
status_add(const struct world *w, struct status *st, const char *serial,
    const struct usbdev *d)
{
	const struct conf_domain *cd = serial != NULL ?
	    conf_domain_of(w->in->conf, serial) : NULL;
	struct status_device sd = { .present = d != NULL };
	struct status_device *v;
	const char *attached = NULL;

	sd.state = serial == NULL ? STATUS_UNUSABLE :
	    device_state(w, serial, d, &attached);
	if (d != NULL) {
		sd.vendor = d->vendor;
		sd.product = d->product;
		sd.bus = d->bus;
		sd.dev = d->dev;
	}
	if (dup_or_null(serial, &sd.serial) < 0 ||
	    dup_or_null(d != NULL ? d->port : NULL, &sd.port) < 0 ||
	    dup_or_null(cd != NULL ? cd->name : NULL, &sd.assigned) < 0 ||
	    dup_or_null(attached, &sd.attached) < 0) {
		status_device_done(&sd);
		return -ENOMEM;
	}
	v = reallocarray(st->devices, st->n_devices + 1, sizeof(*v));
	if (v == NULL) {
		status_device_done(&sd);
		return -ENOMEM;
	}
	st->devices = v;
	v[st->n_devices++] = sd;
	return 0;
}

static int
status_add_domain(const struct world *w, struct status *st,
    const struct conf_domain *cd)
{
	const struct plan_input *in = w->in;
	const char *uri = virtsnap_uri(in->guests,
	    conf_domain_uri(in->conf, cd, in->uri_override));
	struct status_domain *sd = &st->domains[st->n_domains];

	*sd = (struct status_domain){
		.active = domain_active(w, uri, cd->name),
		.reachable = virtsnap_uri_ok(in->guests, uri),
	};
	st->n_domains++;
	sd->serials = calloc(cd->n_serials + 1, sizeof(*sd->serials));
	if (sd->serials == NULL || dup_or_null(cd->name, &sd->name) < 0 ||
	    dup_or_null(uri, &sd->uri) < 0)
		return -ENOMEM;
	/* Borrowed from the config, which outlives the status. */
	for (size_t j = 0; j < cd->n_serials; j++)
		sd->serials[j] = cd->serials[j].serial;
	return 0;
}

int
status_build(const struct plan_input *in, struct status **ret_status)
{
	_cleanup_(world_done) struct world w = { 0 };
	const struct conf *conf = in->conf;
	struct status *st;
	int r;

	r = world_build(in, &w);
	if (r < 0)
		return r;
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return -ENOMEM;
	st->domains = calloc(conf->n_domains, sizeof(*st->domains));
	if (conf->n_domains > 0 && st->domains == NULL)
		return status_free(st), -ENOMEM;
	for (size_t i = 0; r >= 0 && i < in->devices->n; i++)
		r = status_add(&w, st, in->devices->v[i].serial,
		    &in->devices->v[i]);
	for (size_t i = 0; r >= 0 && i < conf->n_domains; i++) {
		const struct conf_domain *cd = &conf->domains[i];

		r = status_add_domain(&w, st, cd);
		for (size_t j = 0; r >= 0 && j < cd->n_serials; j++) {
			const char *s = cd->serials[j].serial;

			if (device_of(&w, s) == NULL)
				r = status_add(&w, st, s, NULL);
		}
	}
	if (r < 0)
		return status_free(st), r;
	*ret_status = st;
	return 0;
}
