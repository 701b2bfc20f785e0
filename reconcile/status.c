#include <errno.h>
#include <stdio.h>
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
	[STATUS_REMOTE] = "remote",
	[STATUS_UNMANAGED] = "unmanaged",
	[STATUS_AMBIGUOUS] = "ambiguous",
};

const char *
status_state_to_string(enum status_state s)
{
	return s < _STATUS_STATE_MAX ? state_names[s] : NULL;
}

static void
status_device_done(struct status_device *sd)
{
	free(sd->serial);
	free(sd->port);
	free(sd->path);
	free(sd->connector);
	free(sd->assigned);
	free(sd->attached);
	free(sd->holder_alias);
	for (size_t i = 0; sd->addresses != NULL && sd->addresses[i] != NULL;
	    i++)
		free(sd->addresses[i]);
	free(sd->addresses);
	for (size_t i = 0; sd->rule_at != NULL && sd->rule_at[i] != NULL; i++)
		free(sd->rule_at[i]);
	free(sd->rule_at);
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

/* What a guest holds of a serial, and where the config wants it. */
struct where {
	const char *attached;   /* the guest holding it, or NULL */
	const char *alias;      /* foreign: the holder's alias */
};

static enum status_state
device_state(const struct world *w, const char *serial, const struct usbdev *d,
    struct where *ret)
{
	const char *uri = NULL;
	const struct conf_domain *cd = world_assigned(w, serial, &uri);
	const struct vdomain *target = NULL;
	const struct holding *f = d != NULL ?
	    world_foreign_at(w, d->bus, d->dev) : NULL;
	bool stale = false;
	bool home = false;
	bool elsewhere = false;
	const struct holding *const *hs;
	size_t n;

	*ret = (struct where){ 0 };
	if (f != NULL) {
		ret->attached = f->domain->name;
		ret->alias = f->hd->alias;
		return STATUS_FOREIGN;
	}
	if (cd != NULL && world_remote(w, uri))
		return STATUS_REMOTE;
	if (cd != NULL)
		target = world_domain(w, uri, cd->name);
	hs = world_holdings(w, serial, &n);
	for (size_t i = 0; i < n; i++) {
		const struct holding *h = hs[i];
		bool here = d == NULL || (h->hd->has_address &&
		    h->hd->bus == d->bus && h->hd->dev == d->dev);

		if (d != NULL && d->shared != NULL && !here)
			continue;       /* the clone next to this one */
		if (ret->attached == NULL || (h->valid && here))
			ret->attached = h->domain->name;
		if (!h->valid)
			stale = true;
		else if (h->kind == ALIAS_MANUAL)
			return STATUS_OVERRIDE;
		else if (target != NULL && h->domain == target)
			home = true;
		else
			elsewhere = true;
	}
	if (d != NULL && d->shared != NULL)
		return STATUS_SHARED;
	if (d == NULL && udevsnap_shared(w->in->devices, serial))
		return STATUS_SHARED;
	if (stale)
		return STATUS_STALE;
	if (d == NULL)
		return STATUS_ABSENT;
	if (elsewhere)
		return STATUS_PENDING;
	if (cd == NULL)
		return STATUS_UNASSIGNED;
	if (home)
		return STATUS_ATTACHED;
	if (target == NULL || !target->active)
		return STATUS_DOMAIN_DOWN;
	return STATUS_PENDING;
}

/*
 * Where a device a port or type rule claims stands: like a serial's, but
 * held means held by that rule's hostdev, and a serial's that stays
 * (lent, or a clone's) keeps it.
 */
static enum status_state
rule_state(const struct world *w, const struct usbdev *d, const struct claim *c,
    struct where *ret)
{
	const char *uri = world_domain_uri(w, c->domain);
	const struct vdomain *target;
	const struct holding *f = world_foreign_at(w, d->bus, d->dev) ?:
	    world_foreign_of_type(w, d->vendor, d->product);
	const struct holding *s = world_serial_holding_at(w, d->bus, d->dev);
	const struct holding *const *hs;
	bool elsewhere = false;
	size_t n;

	*ret = (struct where){ 0 };
	if (f != NULL) {
		ret->attached = f->domain->name;
		ret->alias = f->hd->alias;
		return STATUS_FOREIGN;
	}
	if (world_remote(w, uri))
		return STATUS_REMOTE;
	if (s != NULL && world_serial_hold_stays(w, s, d)) {
		ret->attached = s->domain->name;
		return s->kind == ALIAS_MANUAL ? STATUS_OVERRIDE : STATUS_SHARED;
	}
	target = world_domain(w, uri, c->domain->name);
	hs = world_rule_holdings_at(w, d->bus, d->dev, &n);
	for (size_t i = 0; i < n; i++) {
		const struct holding *h = hs[i];

		ret->attached = h->domain->name;
		if (h->valid && h->domain == target)
			return STATUS_ATTACHED;
		elsewhere = true;
	}
	if (elsewhere)
		return STATUS_PENDING;
	if (target == NULL || !target->active)
		return STATUS_DOMAIN_DOWN;
	return STATUS_PENDING;
}

/* "FILE:LINE" of the rule, and of a second one naming the connector. */
static int
rule_places(const struct conf *conf, unsigned line, unsigned line2,
    char ***ret)
{
	_cleanup_(strv_done) struct strv l = { 0 };
	char *a;
	int r;

	for (unsigned k = 0; k < 2; k++) {
		unsigned n = k == 0 ? line : line2;

		if (n == 0)
			continue;
		if (asprintf(&a, "%s:%u", conf->file, n) < 0)
			return -ENOMEM;
		r = strv_consume(&l, a);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(l.v);
	l.n = 0;
	return 0;
}

/* "BUS:DEV" of every plugged device with the shared serial, in bus:dev order. */
static int
shared_addresses(const struct udevsnap *u, const char *serial, char ***ret)
{
	_cleanup_(strv_done) struct strv l = { 0 };
	int r;

	for (size_t i = 0; i < u->n; i++) {
		char *a;

		if (!streq_null(u->v[i].shared, serial))
			continue;
		if (asprintf(&a, "%u:%u", u->v[i].bus, u->v[i].dev) < 0)
			return -ENOMEM;
		r = strv_consume(&l, a);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(l.v);
	l.n = 0;
	return 0;
}

static int
status_add(const struct world *w, struct status *st, const char *serial,
    const struct usbdev *d)
{
	const struct conf_domain *cd = serial != NULL ?
	    conf_domain_of(w->in->conf, serial) : NULL;
	struct status_device sd = { .present = d != NULL };
	const struct claim *c = d != NULL ? world_claim(w, d) : NULL;
	const struct conf_domain *scd = NULL;
	const struct conf_serial *s = serial != NULL ?
	    conf_serial_rule(w->in->conf, serial, &scd) : NULL;
	unsigned line = 0;
	unsigned line2 = 0;
	struct status_device *v;
	struct where where = { 0 };

	if (c != NULL && (c->kind == CLAIM_PORT || c->kind == CLAIM_TYPE)) {
		cd = c->domain;
		sd.state = rule_state(w, d, c, &where);
	} else if (c != NULL && c->kind == CLAIM_AMBIGUOUS)
		sd.state = STATUS_AMBIGUOUS;
	else if (d != NULL && !d->managed)
		sd.state = STATUS_UNMANAGED;
	else
		sd.state = serial == NULL ? STATUS_UNUSABLE :
		    device_state(w, serial, d, &where);
	if (c != NULL && c->kind != CLAIM_NONE) {
		sd.rule = claim_kind_to_string(c->kind);
		line = c->line;
		line2 = c->line2;
	} else if (c == NULL && s != NULL) {
		sd.rule = claim_kind_to_string(CLAIM_SERIAL);
		line = s->line;
	}
	if (d != NULL) {
		sd.vendor = d->vendor;
		sd.product = d->product;
		sd.bus = d->bus;
		sd.dev = d->dev;
	}
	if (strdup_null(serial, &sd.serial) < 0 ||
	    strdup_null(d != NULL ? d->port : NULL, &sd.port) < 0 ||
	    strdup_null(d != NULL ? d->path : NULL, &sd.path) < 0 ||
	    strdup_null(d != NULL ? d->connector : NULL, &sd.connector) < 0 ||
	    strdup_null(cd != NULL ? cd->name : NULL, &sd.assigned) < 0 ||
	    strdup_null(where.attached, &sd.attached) < 0 ||
	    strdup_null(sd.state == STATUS_FOREIGN ? where.alias : NULL,
	    &sd.holder_alias) < 0 ||
	    (sd.state == STATUS_SHARED && serial != NULL &&
	    shared_addresses(w->in->devices, serial, &sd.addresses) < 0) ||
	    (line != 0 && rule_places(w->in->conf, line, line2,
	    &sd.rule_at) < 0)) {
		status_device_done(&sd);
		return -ENOMEM;
	}
	if (array_grow(&st->devices, st->n_devices, 0, sizeof(*v)) < 0) {
		status_device_done(&sd);
		return -ENOMEM;
	}
	v = st->devices;
	v[st->n_devices++] = sd;
	return 0;
}

static int
status_add_domain(const struct world *w, struct status *st,
    const struct conf_domain *cd)
{
	const char *uri = world_domain_uri(w, cd);
	const struct vdomain *vd = world_domain(w, uri, cd->name);
	struct status_domain *sd = &st->domains[st->n_domains];

	*sd = (struct status_domain){
		.active = vd != NULL && vd->active,
		.reachable = virtsnap_uri_ok(w->in->guests, uri),
		.remote = world_remote(w, uri),
	};
	st->n_domains++;
	sd->serials = calloc(cd->n_serials + 1, sizeof(*sd->serials));
	if (sd->serials == NULL || strdup_null(cd->name, &sd->name) < 0 ||
	    strdup_null(uri, &sd->uri) < 0)
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
	_cleanup_(status_freep) struct status *st = NULL;
	const struct conf *conf = in->conf;
	int r;

	r = world_build(in, &w);
	if (r < 0)
		return r;
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return -ENOMEM;
	st->domains = calloc(conf->n_domains + 1, sizeof(*st->domains));
	if (st->domains == NULL)
		return -ENOMEM;
	for (size_t i = 0; r >= 0 && i < in->devices->n; i++) {
		const struct usbdev *d = &in->devices->v[i];

		/* A root hub is the controller itself: no connector to name. */
		if (strchr(d->port, '-') == NULL)
			continue;
		r = status_add(&w, st, d->serial != NULL ? d->serial :
		    d->shared, d);
	}
	for (size_t i = 0; r >= 0 && i < conf->n_domains; i++) {
		const struct conf_domain *cd = &conf->domains[i];

		r = status_add_domain(&w, st, cd);
		for (size_t j = 0; r >= 0 && j < cd->n_serials; j++) {
			const char *s = cd->serials[j].serial;

			if (world_device(&w, s) == NULL &&
			    !udevsnap_shared(in->devices, s))
				r = status_add(&w, st, s, NULL);
		}
	}
	if (r < 0)
		return r;
	*ret_status = TAKE_PTR(st);
	return 0;
}
