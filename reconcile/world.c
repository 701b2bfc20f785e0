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

void
world_done(struct world *w)
{
	for (size_t i = 0; i < w->n; i++) {
		free(w->h[i].serial);
		free(w->h[i].key);
	}
	free(w->h);
	free(w->rule_held);
	free(w->foreign_ids);
	free(w->claims);
	free(w->shared);
	free(w->dev_serial);
	free(w->all_serial);
	free(w->held);
	free(w->foreign);
	free(w->doms);
	free(w->primary);
	*w = (struct world){ 0 };
}

static int
cmp_unsigned(unsigned a, unsigned b)
{
	return a < b ? -1 : a > b;
}

/* Comparisons of pointers to the elements, for sorting and searching. */
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

/* One guest seen through two URIs: the first URI asked names it. */
static int
uuid_cmp(const void *x, const void *y)
{
	const struct vdomain *const *a = x;
	const struct vdomain *const *b = y;

	return memcmp((*a)->uuid, (*b)->uuid, VDOMAIN_UUID_LEN) ?:
	    ((*a)->conn < (*b)->conn ? -1 : (*a)->conn > (*b)->conn);
}

static const char *const claim_kind_table[_CLAIM_KIND_MAX] = {
	[CLAIM_NONE] = "none",
	[CLAIM_SERIAL] = "serial",
	[CLAIM_PORT] = "port",
	[CLAIM_TYPE] = "type",
	[CLAIM_AMBIGUOUS] = "ambiguous",
	[CLAIM_SHARED] = "shared",
	[CLAIM_HUB] = "hub",
};

DEFINE_STRING_TABLE_LOOKUP(claim_kind, enum claim_kind)

const struct claim *
world_claim(const struct world *w, const struct usbdev *d)
{
	return &w->claims[d - w->in->devices->v];
}

const struct usbdev *
world_device(const struct world *w, const char *serial)
{
	const struct usbdev k = { .serial = (char *)serial };
	const struct usbdev *kp = &k;
	const struct usbdev *const *d = bsearch(&kp, w->dev_serial,
	    w->n_dev_serial, sizeof(*w->dev_serial), usbdev_serial_cmp);

	return d != NULL ? *d : NULL;
}

const struct holding *const *
world_holdings(const struct world *w, const char *serial, size_t *ret_n)
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

const struct vdomain *
world_domain(const struct world *w, const char *uri, const char *name)
{
	const struct vdomain k = {
		.name = (char *)name,
		.uri = virtsnap_uri(w->in->guests, uri),
	};
	const struct vdomain *kp = &k;
	const struct vdomain *const *d = bsearch(&kp, w->doms, w->n_doms,
	    sizeof(*w->doms), dom_cmp);

	return d != NULL ? w->primary[*d - w->in->guests->domains] : NULL;
}

bool
world_busy(const struct world *w, const struct usbdev *d)
{
	if (!d->usbfs)
		return false;
	for (size_t i = 0; i < w->n; i++) {
		const struct hostdev *hd = w->h[i].hd;

		if (hd->has_address && hd->bus == d->bus && hd->dev == d->dev)
			return false;
	}
	return true;
}

const struct holding *
world_foreign_at(const struct world *w, unsigned bus, unsigned dev)
{
	const struct hostdev khd = { .has_address = true, .bus = bus, .dev = dev };
	const struct holding k = { .hd = &khd };
	const struct holding *kp = &k;
	const struct holding *const *h = bsearch(&kp, w->foreign, w->n_foreign,
	    sizeof(*w->foreign), foreign_cmp);

	return h != NULL ? *h : NULL;
}

const char *
world_domain_uri(const struct world *w, const struct conf_domain *cd)
{
	return virtsnap_uri(w->in->guests, conf_domain_uri(w->in->conf, cd,
	    w->in->uri_override));
}

bool
world_shared(const struct world *w, const char *serial)
{
	const struct usbdev k = { .serial = (char *)serial };
	const struct usbdev *kp = &k;
	size_t i;

	if (serial == NULL)
		return false;
	i = lower_bound(w->all_serial, w->n_all_serial, sizeof(*w->all_serial),
	    &kp, usbdev_serial_cmp);
	return i + 1 < w->n_all_serial &&
	    strcmp(w->all_serial[i]->serial, serial) == 0 &&
	    strcmp(w->all_serial[i + 1]->serial, serial) == 0;
}

bool
world_serial_present(const struct world *w, const char *serial)
{
	const struct usbdev k = { .serial = (char *)serial };
	const struct usbdev *kp = &k;
	size_t i = lower_bound(w->all_serial, w->n_all_serial,
	    sizeof(*w->all_serial), &kp, usbdev_serial_cmp);

	return i < w->n_all_serial &&
	    strcmp(w->all_serial[i]->serial, serial) == 0;
}

const struct conf_domain *
world_assigned(const struct world *w, const char *serial, const char **ret_uri)
{
	const struct usbdev *d = world_device(w, serial);
	const struct conf_domain *cd = NULL;
	const struct claim *c;

	if (d != NULL) {
		c = world_claim(w, d);
		cd = c->kind == CLAIM_SERIAL ? c->domain : NULL;
	} else if (!world_shared(w, serial))
		(void)conf_serial_rule(w->in->conf, serial, &cd);
	if (cd != NULL)
		*ret_uri = world_domain_uri(w, cd);
	return cd;
}

bool
world_remote(const struct world *w, const char *uri)
{
	return virtsnap_uri_remote(w->in->guests, uri);
}

bool
world_serial_hold_stays(const struct world *w, const struct holding *h)
{
	/*
	 * As converge_serial() decides: lent, or on clones of one serial. A
	 * serial claim keeps its own (the port and type rules do not claim
	 * the device then), and any other serial holding is detached.
	 */
	return h->valid && (h->kind == ALIAS_MANUAL ||
	    world_shared(w, h->serial));
}

const struct holding *const *
world_rule_holdings_at(const struct world *w, unsigned bus, unsigned dev,
    size_t *ret_n)
{
	const struct hostdev khd = { .has_address = true, .bus = bus, .dev = dev };
	const struct holding k = { .hd = &khd };
	const struct holding *kp = &k;
	size_t i = lower_bound(w->rule_held, w->n_rule_held,
	    sizeof(*w->rule_held), &kp, foreign_cmp);
	size_t e = i;

	while (e < w->n_rule_held && foreign_cmp(&w->rule_held[e], &kp) == 0)
		e++;
	*ret_n = e - i;
	return &w->rule_held[i];
}

const struct holding *
world_foreign_of_type(const struct world *w, uint16_t vendor, uint16_t product)
{
	for (size_t i = 0; i < w->n_foreign_ids; i++) {
		const struct hostdev *hd = w->foreign_ids[i]->hd;

		if (hd->vendor == vendor && hd->product == product)
			return w->foreign_ids[i];
	}
	return NULL;
}

const struct holding *
world_serial_holding_at(const struct world *w, unsigned bus, unsigned dev)
{
	const struct usbdev *d = udevsnap_by_address(w->in->devices, bus, dev);
	const char *serial;
	size_t n;
	const struct holding *const *hs;

	if (d == NULL || (serial = d->serial) == NULL)
		return NULL;
	hs = world_holdings(w, serial, &n);
	for (size_t i = 0; i < n; i++)
		if (hs[i]->valid && hs[i]->hd->bus == bus && hs[i]->hd->dev == dev)
			return hs[i];
	return NULL;
}

/*
 * The serial a hostdev without an alias of ours would be adopted for: its
 * source names an address and nothing else, and the claim for the device
 * at that address is a serial rule, as the original bbvirt assigned by
 * serial alone. After a remove event nothing is there any more; then
 * udev's word for what was (the request's serial with its -b/-d) stands
 * in for the device, and the serial's rule for its claim.
 */
static const char *
adoption_serial(const struct plan_input *in, const struct hostdev *hd)
{
	const struct usbdev *d;
	const struct conf_domain *cd;
	struct claim c;

	if (!hd->has_address || hd->has_id)
		return NULL;
	d = udevsnap_by_address(in->devices, hd->bus, hd->dev);
	if (d != NULL) {
		claim_device(in->conf, d, claim_sharing(in->devices, d), &c);
		return c.kind == CLAIM_SERIAL ? d->serial : NULL;
	}
	for (size_t i = 0; in->requests != NULL && i < in->n_requests; i++) {
		const struct plan_request *q = &in->requests[i];

		if (q->exact && q->bus == hd->bus && q->dev == hd->dev &&
		    conf_serial_rule(in->conf, q->serial, &cd) != NULL)
			return q->serial;
	}
	return NULL;
}

bool
plan_adoptable(const struct hostdev *hd, void *userdata)
{
	const struct plan_input *in = userdata;
	_cleanup_free_ char *serial = NULL;

	return alias_decode(hd->alias, &serial) == ALIAS_NONE &&
	    adoption_serial(in, hd) != NULL;
}

/* claim_sharing() among the n devices of one serial. */
static unsigned
claim_sharing_among(const struct usbdev *const *v, size_t n,
    const struct usbdev *d)
{
	unsigned shared = CLAIM_SHARED_SERIAL;

	for (size_t i = 0; i < n; i++)
		if (v[i] != d && v[i]->vendor == d->vendor &&
		    v[i]->product == d->product)
			shared |= CLAIM_SHARED_TYPE;
	return shared;
}

static int
index_world(struct world *w)
{
	const struct udevsnap *u = w->in->devices;
	const struct virtsnap *g = w->in->guests;
	_cleanup_free_ const struct vdomain **by_uuid = NULL;

	w->dev_serial = calloc(u->n + 1, sizeof(*w->dev_serial));
	w->all_serial = calloc(u->n + 1, sizeof(*w->all_serial));
	w->shared = calloc(u->n + 1, sizeof(*w->shared));
	w->doms = calloc(g->n_domains + 1, sizeof(*w->doms));
	w->primary = calloc(g->n_domains + 1, sizeof(*w->primary));
	by_uuid = calloc(g->n_domains + 1, sizeof(*by_uuid));
	if (w->dev_serial == NULL || w->all_serial == NULL ||
	    w->shared == NULL || w->doms == NULL || w->primary == NULL ||
	    by_uuid == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < u->n; i++)
		if (u->v[i].serial != NULL)
			w->all_serial[w->n_all_serial++] = &u->v[i];
	sort_ptrs(w->all_serial, w->n_all_serial, usbdev_serial_cmp);
	/* A serial is an identity only when one device has it. */
	for (size_t i = 0, k; i < w->n_all_serial; i = k) {
		for (k = i + 1; k < w->n_all_serial &&
		    strcmp(w->all_serial[k]->serial,
		    w->all_serial[i]->serial) == 0; k++)
			;
		for (size_t j = i; k > i + 1 && j < k; j++)
			w->shared[w->all_serial[j] - u->v] =
			    claim_sharing_among(w->all_serial + i, k - i,
			    w->all_serial[j]);
	}
	for (size_t i = 0; i < g->n_domains; i++)
		w->doms[w->n_doms++] = by_uuid[i] = &g->domains[i];
	sort_ptrs(w->doms, w->n_doms, dom_cmp);
	sort_ptrs(by_uuid, g->n_domains, uuid_cmp);
	for (size_t i = 0, first = 0; i < g->n_domains; i++) {
		if (i > 0 && memcmp(by_uuid[i]->uuid, by_uuid[first]->uuid,
		    VDOMAIN_UUID_LEN) != 0)
			first = i;
		w->primary[by_uuid[i] - g->domains] = by_uuid[first];
	}
	return 0;
}

static int
port_claim_cmp(const void *x, const void *y)
{
	const struct claim *const *a = x;
	const struct claim *const *b = y;
	uintptr_t pa = (uintptr_t)(*a)->port;
	uintptr_t pb = (uintptr_t)(*b)->port;

	return pa < pb ? -1 : pa > pb;
}

/*
 * A port rule two present devices claim: a stable path names a port of
 * a controller's USB 2 root and the same-numbered port of its USB 3 root,
 * which need not be one connector. Neither goes, as when two rules name
 * one connector: which device wins must not be a coin toss.
 */
static int
claims_unique(struct world *w)
{
	size_t n_dev = w->in->devices->n;
	_cleanup_free_ struct claim **v = calloc(n_dev + 1, sizeof(*v));
	size_t n = 0;

	if (v == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n_dev; i++)
		if (w->claims[i].kind == CLAIM_PORT)
			v[n++] = &w->claims[i];
	sort_ptrs(v, n, port_claim_cmp);
	for (size_t i = 0, k; i < n; i = k) {
		for (k = i + 1; k < n && v[k]->port == v[i]->port; k++)
			;
		for (size_t j = i; k > i + 1 && j < k; j++)
			*v[j] = (struct claim){ CLAIM_AMBIGUOUS, NULL,
			    v[j]->line, v[j]->line, NULL };
	}
	return 0;
}

/*
 * The device each serial names: the only one with it, or among several
 * the one a serial rule tells apart by its type. Already sorted.
 */
static void
index_serials(struct world *w)
{
	for (size_t i = 0, k; i < w->n_all_serial; i = k) {
		const struct usbdev *named = NULL;
		size_t n_named = 0;

		for (k = i; k < w->n_all_serial &&
		    strcmp(w->all_serial[k]->serial,
		    w->all_serial[i]->serial) == 0; k++)
			if (world_claim(w, w->all_serial[k])->kind ==
			    CLAIM_SERIAL) {
				n_named++;
				named = w->all_serial[k];
			}
		if (k == i + 1)
			w->dev_serial[w->n_dev_serial++] = w->all_serial[i];
		else if (n_named == 1)
			w->dev_serial[w->n_dev_serial++] = named;
	}
}

static int
index_holdings(struct world *w)
{
	w->held = calloc(w->n + 1, sizeof(*w->held));
	w->foreign = calloc(w->n + 1, sizeof(*w->foreign));
	w->rule_held = calloc(w->n + 1, sizeof(*w->rule_held));
	w->foreign_ids = calloc(w->n + 1, sizeof(*w->foreign_ids));
	if (w->held == NULL || w->foreign == NULL || w->rule_held == NULL ||
	    w->foreign_ids == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < w->n; i++)
		if (w->h[i].serial != NULL)
			w->held[w->n_held++] = &w->h[i];
		else if (w->h[i].key != NULL && w->h[i].hd->has_address)
			w->rule_held[w->n_rule_held++] = &w->h[i];
		else if (w->h[i].hd->has_address)
			w->foreign[w->n_foreign++] = &w->h[i];
		else if (w->h[i].key == NULL && w->h[i].hd->has_id)
			w->foreign_ids[w->n_foreign_ids++] = &w->h[i];
	sort_ptrs(w->held, w->n_held, held_cmp);
	sort_ptrs(w->foreign, w->n_foreign, foreign_cmp);
	sort_ptrs(w->rule_held, w->n_rule_held, foreign_cmp);
	return 0;
}

/*
 * The serial is plugged in at the hostdev's address (alone, or on
 * clones), on the device it names: not on another type's device a
 * /SERIAL rule tells apart from the one it names.
 */
static bool
in_place(const struct world *w, const struct hostdev *hd, const char *serial)
{
	const struct usbdev *d;
	const struct usbdev *named;

	if (!hd->has_address)
		return false;
	d = udevsnap_by_address(w->in->devices, hd->bus, hd->dev);
	if (d == NULL || !streq_null(d->serial, serial))
		return false;
	named = world_device(w, serial);
	return named == NULL || named == d;
}

static void
hex4(char *o, uint16_t v)
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < 4; i++)
		o[i] = hex[(v >> (12 - 4 * i)) & 0xf];
}

bool
world_type_key_is(const char *key, const struct usbdev *d)
{
	char id[10];

	hex4(id, d->vendor);
	id[4] = ':';
	hex4(id + 5, d->product);
	id[9] = '@';
	return strncmp(key, id, 10) == 0 && strcmp(key + 10, d->port) == 0;
}

/*
 * The device at a rule's hostdev is the one its alias names: at that
 * port, or of that type at that kernel port.
 */
static bool
rule_in_place(const struct world *w, const struct holding *h)
{
	const struct usbdev *d;
	const struct claim *c;

	if (!h->hd->has_address)
		return false;
	d = udevsnap_by_address(w->in->devices, h->hd->bus, h->hd->dev);
	if (d == NULL)
		return false;
	c = world_claim(w, d);
	if (h->kind == ALIAS_PORT)
		return c->kind == CLAIM_PORT && strcmp(c->port, h->key) == 0;
	return c->kind == CLAIM_TYPE && world_type_key_is(h->key, d);
}

static int
add_holding(struct world *w, const struct vdomain *vd, const struct hostdev *hd)
{
	struct holding *h = &w->h[w->n];
	const char *adopt;

	*h = (struct holding){ .domain = vd, .hd = hd };
	h->kind = alias_decode(hd->alias, &h->serial);
	if (h->kind < 0)
		return -ENOMEM;
	w->n++;
	if (h->kind == ALIAS_PORT || h->kind == ALIAS_TYPE) {
		h->key = TAKE_PTR(h->serial);
		h->valid = rule_in_place(w, h);
		return 0;
	}
	if (h->kind == ALIAS_NONE && hd->live_only &&
	    (adopt = adoption_serial(w->in, hd)) != NULL) {
		h->adopted = true;
		h->serial = strdup(adopt);
		if (h->serial == NULL)
			return -ENOMEM;
	}
	if (h->serial != NULL)
		h->valid = in_place(w, hd, h->serial);
	return 0;
}

/*
 * Reads every USB hostdev of every running guest on this host, once per
 * guest whichever URIs show it.
 */
int
world_build(const struct plan_input *in, struct world *ret)
{
	_cleanup_(world_done) struct world w = { .in = in };
	const struct virtsnap *g = in->guests;
	size_t n = 0;
	int r;

	r = index_world(&w);
	if (r < 0)
		return r;
	w.claims = calloc(in->devices->n + 1, sizeof(*w.claims));
	if (w.claims == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < in->devices->n; i++)
		claim_device(in->conf, &in->devices->v[i], w.shared[i],
		    &w.claims[i]);
	r = claims_unique(&w);
	if (r < 0)
		return r;
	index_serials(&w);
	for (size_t i = 0; i < g->n_domains; i++)
		n += g->domains[i].hostdevs.n;
	w.h = calloc(n + 1, sizeof(*w.h));
	if (w.h == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < g->n_domains; i++) {
		const struct vdomain *vd = &g->domains[i];

		if (!vd->active || vd->remote || w.primary[i] != vd)
			continue;
		for (size_t j = 0; j < vd->hostdevs.n; j++) {
			r = add_holding(&w, vd, &vd->hostdevs.v[j]);
			if (r < 0)
				return r;
		}
	}
	r = index_holdings(&w);
	if (r < 0)
		return r;
	*ret = w;
	w = (struct world){ 0 };
	return 0;
}

int
world_claim_of(const struct plan_input *in, const struct usbdev *d,
    struct claim *ret)
{
	const struct virtsnap none = { 0 };
	const struct plan_input local = {
		.conf = in->conf, .devices = in->devices, .guests = &none,
	};
	_cleanup_(world_done) struct world w = { 0 };
	int r;

	r = world_build(&local, &w);
	if (r < 0)
		return r;
	*ret = *world_claim(&w, d);
	return 0;
}
