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

static const char *const status_state_table[_STATUS_STATE_MAX] = {
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
	[STATUS_HUB] = "hub",
	[STATUS_BUSY] = "busy",
};

DEFINE_STRING_TABLE_LOOKUP(status_state, enum status_state)

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
	free(sd->busy_holder);
	for (size_t i = 0; sd->addresses != NULL && sd->addresses[i] != NULL;
	    i++)
		free(sd->addresses[i]);
	free(sd->addresses);
	for (size_t i = 0; sd->rule_at != NULL && sd->rule_at[i] != NULL; i++)
		free(sd->rule_at[i]);
	free(sd->rule_at);
	free(sd->actions);
	free(sd->holder_detaches);
	free(sd->holder_kept);
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

/* The first hostdev of bbvirt's that holds d where it is now, or NULL. */
static const struct holding *
owned_at(const struct world *w, const struct usbdev *d)
{
	const struct holding *s = world_serial_holding_at(w, d->bus, d->dev);
	size_t n;
	const struct holding *const *hs = world_rule_holdings_at(w, d->bus,
	    d->dev, &n);

	if (s != NULL)
		return s;
	for (size_t i = 0; i < n; i++)
		if (hs[i]->valid)
			return hs[i];
	return n > 0 ? hs[0] : NULL;
}

int
world_device_state(const struct world *w, const struct usbdev *d,
    const char **ret_holder, const char **ret_alias)
{
	const struct claim *c = world_claim(w, d);
	const struct holding *f = world_foreign_at(w, d->bus, d->dev);
	const struct holding *h = owned_at(w, d);
	const struct vdomain *target;
	const char *uri;

	if (f == NULL && (c->kind == CLAIM_PORT || c->kind == CLAIM_TYPE))
		f = world_foreign_of_type(w, d->vendor, d->product);
	*ret_alias = NULL;
	*ret_holder = h != NULL ? h->domain->name :
	    f != NULL ? f->domain->name : NULL;
	if (h != NULL && h->kind == ALIAS_MANUAL && h->valid)
		return STATUS_OVERRIDE;
	/* What no rule can place, and a type no rule manages, say so first. */
	if (c->kind == CLAIM_AMBIGUOUS)
		return STATUS_AMBIGUOUS;
	if (c->kind == CLAIM_HUB)
		return STATUS_HUB;
	if (c->kind == CLAIM_NONE && !d->managed)
		return STATUS_UNMANAGED;
	/* Held by a hostdev that is not bbvirt's: left alone, and said so. */
	if (f != NULL) {
		*ret_holder = f->domain->name;
		*ret_alias = f->hd->alias;
		return STATUS_FOREIGN;
	}
	if (c->kind == CLAIM_SHARED)
		return STATUS_SHARED;
	if (c->kind == CLAIM_NONE)
		return d->serial == NULL ? STATUS_UNUSABLE : STATUS_UNASSIGNED;
	uri = world_domain_uri(w, c->domain);
	if (world_remote(w, uri))
		return STATUS_REMOTE;
	/* A clone's serial holding stays where it is: port and type rules leave it. */
	if (h != NULL && h->serial != NULL && c->kind != CLAIM_SERIAL &&
	    world_serial_hold_stays(w, h))
		return STATUS_SHARED;
	target = world_domain(w, uri, c->domain->name);
	if (h != NULL && h->valid && h->domain == target &&
	    (c->kind == CLAIM_SERIAL) == (h->serial != NULL))
		return STATUS_ATTACHED;
	/* Held on the host: no guest gets it until the process lets go. */
	if (world_busy(w, d))
		return STATUS_BUSY;
	if (target == NULL || !target->active)
		return STATUS_DOMAIN_DOWN;
	return STATUS_PENDING;
}

/*
 * sync's plan, each detach's alias decoded once: every device asks which
 * of the actions are on it, and decoding per device and action cost
 * half of status_build_with() at 200 devices and 30 actions.
 */
struct sync_view {
	const struct plan *plan;
	int *kinds;             /* per action: alias_decode() of a detach's alias, else ALIAS_NONE */
	char **keys;            /* per action: the decoded key, or NULL */
};

static void
sync_view_done(struct sync_view *v)
{
	for (size_t i = 0; v->keys != NULL && i < v->plan->n; i++)
		free(v->keys[i]);
	free(v->keys);
	free(v->kinds);
}

static int
sync_view_init(const struct plan *sync, struct sync_view *ret)
{
	_cleanup_(sync_view_done) struct sync_view v = { .plan = sync };

	v.kinds = calloc(sync->n + 1, sizeof(*v.kinds));
	v.keys = calloc(sync->n + 1, sizeof(*v.keys));
	if (v.kinds == NULL || v.keys == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < sync->n; i++) {
		if (sync->v[i].op != PLAN_DETACH)
			continue;
		v.kinds[i] = alias_decode(sync->v[i].alias, &v.keys[i]);
		if (v.kinds[i] < 0)
			return v.kinds[i];
	}
	*ret = v;
	v = (struct sync_view){ 0 };
	return 0;
}

/* Whether the detach sync->plan->v[i]'s hostdev is for device d: its alias names d. */
static bool
names_device(const struct world *w, const struct sync_view *sync, size_t i,
    const struct usbdev *d)
{
	const struct plan_action *a = &sync->plan->v[i];
	const char *key = sync->keys[i];
	const struct usbdev *at;

	switch (sync->kinds[i]) {
	case ALIAS_OURS:
	case ALIAS_MANUAL:
		/*
		 * The device the serial names, or, on clones, each of them
		 * but at one clone's address that clone.
		 */
		if (!streq_null(key, d->serial))
			return false;
		if (world_device(w, key) != NULL)
			return world_device(w, key) == d;
		at = udevsnap_by_address(w->in->devices, a->bus, a->dev);
		return at == NULL || at == d || !streq_null(at->serial, key);
	case ALIAS_PORT:
		return usbdev_at_port(d, key);
	case ALIAS_TYPE:
		return world_type_key_is(key, d);
	default:
		return false;
	}
}

/*
 * Whether sync's action a is on d: an attach of it, or a detach of a
 * hostdev held of it, at its address or one whose alias names it (an old
 * address). For an absent device (d NULL), a detach of its serial's.
 */
static bool
acts_on(const struct world *w, const struct sync_view *sync, size_t i,
    const char *serial, const struct usbdev *d)
{
	const struct plan_action *a = &sync->plan->v[i];

	if (d != NULL && a->bus == d->bus && a->dev == d->dev)
		return true;
	if (a->op != PLAN_DETACH)
		return false;
	if (d != NULL)
		return names_device(w, sync, i, d);
	return serial != NULL && streq_null(a->serial, serial);
}

/* sync's actions on the device, into sd->actions. Returns 0 or -ENOMEM. */
static int
find_actions(const struct world *w, const struct sync_view *sync,
    const char *serial, const struct usbdev *d, struct status_device *sd)
{
	for (size_t i = 0; i < sync->plan->n; i++)
		if (acts_on(w, sync, i, serial, d) &&
		    GREEDY_APPEND(sd->actions, sd->n_actions,
		    &sync->plan->v[i]) < 0)
			return -ENOMEM;
	return 0;
}

/*
 * The next hostdev in the line of those that hold sd, in the order status
 * names its holder: holder's, at bus:dev. sd's detach of it joins
 * sd->holder_detaches; the first that sd's actions do not detach is the
 * holder once they are done (sd->holder_kept), and ends the line
 * (*done). Returns 0 or -ENOMEM.
 */
static int
holder_next(struct status_device *sd, const char *holder, unsigned bus,
    unsigned dev, bool *done)
{
	if (*done || holder == NULL || sd->n_actions == 0)
		return 0;
	for (size_t i = 0; i < sd->n_actions; i++) {
		const struct plan_action *a = sd->actions[i];

		if (a->op == PLAN_DETACH && a->bus == bus && a->dev == dev &&
		    streq_null(a->domain, holder))
			return GREEDY_APPEND(sd->holder_detaches,
			    sd->n_holder_detaches, a);
	}
	*done = true;
	/* None goes: attached, the first, stays. */
	if (sd->n_holder_detaches == 0)
		return 0;
	return strdup_null(holder, &sd->holder_kept);
}

/*
 * Where a device stands: stale exactly when sync detaches something held
 * of it (an old address, or a guest it no longer belongs to), else
 * pending exactly when sync attaches it, else as the claim and the
 * holdings say (sd->settled, where it stands once sync is done). An
 * absent serial (d NULL) is stale, remote or absent. Fills sd's state,
 * settled state and actions. Returns 0 or -ENOMEM.
 */
static int
device_state(const struct world *w, const struct sync_view *sync,
    const char *serial, const struct usbdev *d, struct status_device *sd,
    const char **ret_holder, const char **ret_alias)
{
	const struct conf_domain *cd = NULL;
	const char *uri = NULL;
	size_t n = 0;
	const struct holding *const *hs = NULL;
	bool done = false;
	bool detach = false;

	*ret_holder = *ret_alias = NULL;
	if (serial != NULL)
		hs = world_holdings(w, serial, &n);
	if (find_actions(w, sync, serial, d, sd) < 0)
		return -ENOMEM;
	if (d != NULL) {
		sd->settled = world_device_state(w, d, ret_holder, ret_alias);
		if (holder_next(sd, *ret_holder, d->bus, d->dev, &done) < 0)
			return -ENOMEM;
		/* Held nowhere where it is: the guest holding an old address of it. */
		if (n > 0 && world_shared(w, serial))
			n = 0;
		if (*ret_holder == NULL && n > 0)
			*ret_holder = hs[0]->domain->name;
	} else {
		if (n > 0)
			*ret_holder = hs[0]->domain->name;
		cd = world_assigned(w, serial, &uri);
		sd->settled = cd != NULL && world_remote(w, uri) ?
		    STATUS_REMOTE : STATUS_ABSENT;
	}
	/* Who holds it once sync's detaches are done: the next one in line. */
	for (size_t i = 0; i < n; i++)
		if (holder_next(sd, hs[i]->domain->name, hs[i]->hd->bus,
		    hs[i]->hd->dev, &done) < 0)
			return -ENOMEM;
	for (size_t i = 0; i < sd->n_actions; i++)
		detach = detach || sd->actions[i]->op == PLAN_DETACH;
	sd->state = detach ? STATUS_STALE : sd->n_actions > 0 ?
	    STATUS_PENDING : sd->settled;
	return 0;
}

/* Whether a detach's hostdev is gone: detached, or its domain stopped. */
static bool
gone(const struct plan_action *a)
{
	return a->result == PLAN_DONE || a->result == PLAN_STOPPED;
}

enum status_state
status_device_after(const struct status_device *sd, const char **ret_holder)
{
	const struct plan_action *attach = NULL;
	bool stale = false;
	bool detached = false;

	*ret_holder = sd->n_holder_detaches > 0 ? sd->holder_kept : sd->attached;
	for (size_t i = sd->n_holder_detaches; i > 0; i--)
		if (!gone(sd->holder_detaches[i - 1]))
			*ret_holder = sd->holder_detaches[i - 1]->domain;
	for (size_t i = 0; i < sd->n_actions; i++) {
		const struct plan_action *a = sd->actions[i];

		if (a->op == PLAN_ATTACH)
			attach = a;
		else if (gone(a))
			detached = true;
		else
			stale = true;   /* still held where it should not be */
	}
	if (stale || (attach == NULL && !detached))
		return sd->state;
	if (attach == NULL)
		return sd->settled;
	switch (attach->result) {
	case PLAN_DONE:
		*ret_holder = attach->domain;
		return STATUS_ATTACHED;
	case PLAN_STOPPED:
		return STATUS_DOMAIN_DOWN;
	default:
		return STATUS_PENDING;
	}
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

		if (n == 0 || (k == 1 && line2 == line))
			continue;
		if (rule_place(conf, n, &a) < 0)
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

		if (!streq_null(u->v[i].serial, serial))
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

/* The hostdev by which the guest holder holds d where it is plugged in, or NULL. */
static const struct hostdev *
held_at(const struct world *w, const struct usbdev *d, const char *holder)
{
	for (size_t i = 0; holder != NULL && i < w->n; i++) {
		const struct hostdev *hd = w->h[i].hd;

		if (hd->has_address && hd->bus == d->bus && hd->dev == d->dev &&
		    strcmp(w->h[i].domain->name, holder) == 0)
			return hd;
	}
	return NULL;
}

static int
status_add(const struct world *w, const struct sync_view *sync,
    struct status *st,
    const char *serial, const struct usbdev *d)
{
	const struct claim *c = d != NULL ? world_claim(w, d) : NULL;
	const struct conf_domain *cd = NULL;
	const struct conf_serial *s = NULL;
	const char *rs;
	_cleanup_(status_device_done) struct status_device sd = {
		.present = d != NULL,
	};
	const char *holder = NULL;
	const char *alias = NULL;
	const struct hostdev *hd;
	unsigned line = 0;
	unsigned line2 = 0;

	if (device_state(w, sync, serial, d, &sd, &holder, &alias) < 0)
		return -ENOMEM;
	if (c != NULL && c->kind != CLAIM_NONE) {
		cd = c->domain;
		/* The kind of rule that names it, whatever the claim makes of it. */
		sd.rule = claim_kind_to_string(c->kind == CLAIM_SHARED ?
		    CLAIM_SERIAL : c->kind != CLAIM_HUB ? c->kind :
		    c->port != NULL ? CLAIM_PORT : CLAIM_TYPE);
		line = c->line;
		line2 = c->line2;
	} else if ((rs = serial != NULL ? serial : d->other_serial) != NULL &&
	    (s = conf_serial_rule(w->in->conf, rs, &cd)) != NULL) {
		/* Absent, or of a type whose serials are not managed. */
		sd.rule = claim_kind_to_string(CLAIM_SERIAL);
		line = s->line;
		cd = c != NULL ? NULL : cd;
	}
	if (d != NULL) {
		sd.vendor = d->vendor;
		sd.product = d->product;
		sd.bus = d->bus;
		sd.dev = d->dev;
		sd.speed = d->speed;
		hd = held_at(w, d, holder);
		if (hd != NULL && hd->controller != NULL) {
			sd.controller = hd->controller->name;
			sd.slowed = usb_model_slows(hd->controller, d->speed);
		}
	}
	/* A type not managed: its serial is shown, never assigned. */
	if (strdup_null(d != NULL && d->serial == NULL ? d->other_serial :
	    serial, &sd.serial) < 0 ||
	    strdup_null(d != NULL ? d->port : NULL, &sd.port) < 0 ||
	    strdup_null(d != NULL ? d->path : NULL, &sd.path) < 0 ||
	    strdup_null(d != NULL ? d->connector : NULL, &sd.connector) < 0 ||
	    strdup_null(cd != NULL ? cd->name : NULL, &sd.assigned) < 0 ||
	    strdup_null(holder, &sd.attached) < 0 ||
	    strdup_null(sd.state == STATUS_FOREIGN ? alias : NULL,
	    &sd.holder_alias) < 0 ||
	    (sd.state == STATUS_SHARED && serial != NULL &&
	    shared_addresses(w->in->devices, serial, &sd.addresses) < 0) ||
	    (line != 0 && rule_places(w->in->conf, line, line2,
	    &sd.rule_at) < 0) ||
	    GREEDY_GROW(st->devices, st->n_devices) < 0)
		return -ENOMEM;
	st->devices[st->n_devices++] = sd;
	sd = (struct status_device){ 0 };
	return 0;
}

/* Whether a device of a type not managed has this serial. */
static bool
other_serial_present(const struct udevsnap *u, const char *serial)
{
	for (size_t i = 0; i < u->n; i++)
		if (streq_null(u->v[i].other_serial, serial))
			return true;
	return false;
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
	return status_build_with(in, NULL, ret_status);
}

int
status_build_with(const struct plan_input *in, const struct plan *sync,
    struct status **ret_status)
{
	_cleanup_(world_done) struct world w = { 0 };
	_cleanup_(status_freep) struct status *st = NULL;
	_cleanup_(plan_freep) struct plan *own = NULL;
	_cleanup_(sync_view_done) struct sync_view view = { 0 };
	const struct plan_input sync_in = {
		.conf = in->conf, .devices = in->devices, .guests = in->guests,
		.uri_override = in->uri_override,
	};
	const struct conf *conf = in->conf;
	int r;

	r = world_build(in, &w);
	if (r < 0)
		return r;
	/* Pending and stale are what sync would do: its own plan says. */
	if (sync == NULL) {
		r = plan_build(&sync_in, &own);
		if (r < 0)
			return r;
		sync = own;
	}
	r = sync_view_init(sync, &view);
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
		r = status_add(&w, &view, st, d->serial, d);
	}
	for (size_t i = 0; r >= 0 && i < conf->n_domains; i++) {
		const struct conf_domain *cd = &conf->domains[i];

		r = status_add_domain(&w, st, cd);
		for (size_t j = 0; r >= 0 && j < cd->n_serials; j++) {
			const char *s = cd->serials[j].serial;

			/* Each serial of the config: not a scan of the devices. */
			if (!world_serial_present(&w, s) &&
			    !other_serial_present(in->devices, s))
				r = status_add(&w, &view, st, s, NULL);
		}
	}
	if (r < 0)
		return r;
	/* Its own plan goes with it: no actions to borrow. */
	for (size_t i = 0; own != NULL && i < st->n_devices; i++) {
		struct status_device *sd = &st->devices[i];

		sd->actions = mfree(sd->actions);
		sd->n_actions = 0;
		sd->holder_detaches = mfree(sd->holder_detaches);
		sd->n_holder_detaches = 0;
	}
	*ret_status = TAKE_PTR(st);
	return 0;
}
