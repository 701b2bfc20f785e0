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

struct world {
	const struct plan_input *in;
	struct holding *h;
	size_t n;
};

static void
world_done(struct world *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->h[i].serial);
	free(w->h);
}

static bool
at_address(const struct hostdev *hd, const struct usbdev *d)
{
	return d != NULL && hd->has_address && hd->bus == d->bus &&
	    hd->dev == d->dev;
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

	for (size_t i = 0; i < g->n_domains; i++) {
		const struct vdomain *vd = &g->domains[i];

		for (size_t j = 0; vd->active && j < vd->hostdevs.n; j++) {
			const struct hostdev *hd = &vd->hostdevs.v[j];
			struct holding *v;
			struct holding h = { .domain = vd, .hd = hd };
			const struct usbdev *d;

			h.kind = alias_decode(hd->alias, &h.serial);
			if (h.kind < 0)
				return -ENOMEM;
			if (h.kind == ALIAS_NONE && hd->has_address) {
				d = udevsnap_by_address(in->devices, hd->bus,
				    hd->dev);
				if (d != NULL && d->serial != NULL) {
					h.serial = strdup(d->serial);
					if (h.serial == NULL)
						return -ENOMEM;
				}
			}
			if (h.serial != NULL) {
				d = udevsnap_by_serial(in->devices, h.serial);
				h.valid = at_address(hd, d);
			}
			v = reallocarray(w.h, w.n + 1, sizeof(*v));
			if (v == NULL) {
				free(h.serial);
				return -ENOMEM;
			}
			w.h = v;
			w.h[w.n++] = h;
		}
	}
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

static bool
domain_active(const struct plan_input *in, const char *uri, const char *name)
{
	const struct vdomain *d = virtsnap_find(in->guests, uri, name);

	return d != NULL && d->active;
}

/* A hostdev bbvirt does not own holds this device's address. */
static bool
foreign_holds(const struct world *w, const struct usbdev *d)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->h[i].serial == NULL && at_address(w->h[i].hd, d))
			return true;
	return false;
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
	const struct usbdev *d = udevsnap_by_serial(in->devices, serial);
	const char *name = NULL;
	const char *uri = NULL;
	bool assigned = assigned_to(in, serial, &name, &uri);
	bool held = false;
	int r;

	/* A device lent by hand stays where it was lent while it stays plugged. */
	for (size_t i = 0; i < w->n; i++) {
		const struct holding *h = &w->h[i];

		if (h->kind == ALIAS_MANUAL && h->valid &&
		    strcmp(h->serial, serial) == 0) {
			name = h->domain->name;
			uri = h->domain->uri;
			break;
		}
	}
	for (size_t i = 0; i < w->n; i++) {
		const struct holding *h = &w->h[i];
		enum plan_reason reason;

		if (h->serial == NULL || strcmp(h->serial, serial) != 0)
			continue;
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
	    !domain_active(in, uri, name))
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
	/* Serials the guests hold that the config does not name. */
	for (size_t i = 0; i < w->n; i++) {
		const char *s = w->h[i].serial;
		bool seen = false;

		if (s == NULL || conf_domain_of(conf, s) != NULL)
			continue;
		for (size_t k = 0; k < i && !seen; k++)
			seen = streq_null(w->h[k].serial, s);
		if (seen)
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
	const struct usbdev *d = udevsnap_by_serial(in->devices, q->serial);
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
	if (name == NULL || !domain_active(in, uri, name))
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
		    udevsnap_by_serial(w->in->devices, h->serial);

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

static bool
in_scope(const struct plan_input *in, const struct plan_action *a)
{
	for (size_t i = 0; i < in->n_only; i++) {
		const struct conf_domain *cd = conf_find_domain(in->conf,
		    in->only[i]);

		if (strcmp(a->domain, in->only[i]) == 0 ||
		    (cd != NULL && strcmp(a->domain, cd->name) == 0))
			return true;
	}
	return false;
}

/*
 * sync DOMAIN... keeps the actions on those domains, and the detaches
 * elsewhere that free a device one of them is about to receive.
 */
static void
plan_scope(const struct plan_input *in, struct plan *p)
{
	size_t o = 0;

	for (size_t i = 0; i < p->n; i++) {
		bool keep = in_scope(in, &p->v[i]);

		for (size_t k = 0; !keep && k < p->n; k++)
			keep = p->v[i].op == PLAN_DETACH &&
			    p->v[k].op == PLAN_ATTACH && in_scope(in, &p->v[k]) &&
			    streq_null(p->v[k].serial, p->v[i].serial);
		if (keep)
			p->v[o++] = p->v[i];
		else
			action_done(&p->v[i]);
	}
	p->n = o;
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
	if (r < 0) {
		plan_free(p);
		return r;
	}
	if (in->n_only > 0)
		plan_scope(in, p);
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

	*ret_attached = NULL;
	if (d != NULL && foreign_holds(w, d))
		return STATUS_FOREIGN;
	for (size_t i = 0; i < w->n; i++) {
		const struct holding *h = &w->h[i];

		if (h->serial == NULL || strcmp(h->serial, serial) != 0)
			continue;
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
	if (!domain_active(in, uri, name))
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
status_add_domain(const struct plan_input *in, struct status *st,
    const struct conf_domain *cd)
{
	const char *uri = virtsnap_uri(in->guests,
	    conf_domain_uri(in->conf, cd, in->uri_override));
	struct status_domain *sd = &st->domains[st->n_domains];

	*sd = (struct status_domain){
		.active = domain_active(in, uri, cd->name),
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

		r = status_add_domain(in, st, cd);
		for (size_t j = 0; r >= 0 && j < cd->n_serials; j++) {
			const char *s = cd->serials[j].serial;

			if (udevsnap_by_serial(in->devices, s) == NULL)
				r = status_add(&w, st, s, NULL);
		}
	}
	if (r < 0)
		return status_free(st), r;
	*ret_status = st;
	return 0;
}
