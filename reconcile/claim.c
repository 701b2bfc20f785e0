/*
 * The one answer to "whose device is this": which rule of the config
 * assigns a present device, or why none does. Every path asks it: the
 * planner (world_build() records it for every device), status, the
 * one-device commands through the planner, adoption, the restore filter
 * and bbvirt-event. Pure.
 */
#include <string.h>

#include "conf.h"
#include "udevsnap.h"
#include "util.h"
#include "world.h"

/* The serial rule that names d: its serial, and for devices = V:P/SERIAL its type. */
static const struct conf_serial *
serial_rule(const struct conf *conf, const struct usbdev *d,
    const struct conf_domain **ret_domain)
{
	const struct conf_serial *s;

	if (d->serial == NULL)
		return NULL;
	s = conf_serial_rule(conf, d->serial, ret_domain);
	if (s == NULL)
		return NULL;
	if (s->has_id)
		return s->id.vendor == d->vendor && s->id.product == d->product ?
		    s : NULL;
	/* serials = applies to the types whose serials bbvirt manages. */
	return d->managed ? s : NULL;
}

/* The port rules that name d's connector, in any spelling, at either half: distinct ones. */
static size_t
port_rules(const struct conf *conf, const struct usbdev *d,
    const struct conf_rule_ref **found)
{
	const char *names[] = { d->port, d->path, d->peer_port, d->peer_path };
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		const struct conf_rule_ref *r = names[i] != NULL ?
		    conf_port_rule(conf, names[i]) : NULL;
		bool seen = false;

		/* One domain naming the connector twice has one rule. */
		for (size_t k = 0; r != NULL && k < n; k++)
			seen = seen || found[k] == r ||
			    found[k]->domain == r->domain;
		if (r != NULL && !seen)
			found[n++] = r;
	}
	return n;
}

/*
 * Most specific first: the serial (its type too, for devices =
 * V:P/SERIAL), then the port, then the type. A serial on more than one
 * device is no identity: a serial rule for it assigns none of them, and
 * port and type rules, which never look at serials, may; when none
 * does, the claim says why (shared). A hub is never
 * passed through by port or type, and a root hub is the controller
 * itself. A connector that port rules of two domains name, in two
 * spellings or at its two halves, goes nowhere: which rule wins must not
 * depend on which name is looked up first.
 */
void
claim_device(const struct conf *conf, const struct usbdev *d, unsigned shared,
    struct claim *c)
{
	const struct conf_rule_ref *found[4];
	const struct conf_domain *cd = NULL;
	const struct conf_serial *s;
	const struct conf_rule_ref *t;
	size_t n;

	*c = (struct claim){ .kind = CLAIM_NONE };
	if (strchr(d->port, '-') == NULL)
		return;
	s = serial_rule(conf, d, &cd);
	/* devices = V:P/SERIAL tells apart devices of one serial and other types. */
	if (s != NULL && !(shared & (s->has_id ? CLAIM_SHARED_TYPE :
	    CLAIM_SHARED_SERIAL))) {
		*c = (struct claim){ CLAIM_SERIAL, cd, s->line, 0, NULL };
		return;
	}
	if (s != NULL)
		*c = (struct claim){ CLAIM_SHARED, NULL, s->line, 0, NULL };
	n = port_rules(conf, d, found);
	t = conf_type_rule(conf, d->vendor, d->product);
	if (d->class == USB_CLASS_HUB) {
		if (c->kind == CLAIM_NONE && (n > 0 || t != NULL))
			*c = (struct claim){ CLAIM_HUB, NULL, conf_rule_line(conf,
			    n > 0 ? found[0] : t), 0, n > 0 ? found[0]->port : NULL };
		return;
	}
	if (n == 1) {
		*c = (struct claim){ CLAIM_PORT, &conf->domains[found[0]->domain],
		    conf_rule_line(conf, found[0]), 0, found[0]->port };
		return;
	}
	if (n > 1) {
		unsigned a = conf_rule_line(conf, found[0]);
		unsigned b = conf_rule_line(conf, found[1]);

		*c = (struct claim){ CLAIM_AMBIGUOUS, NULL, a < b ? a : b,
		    a < b ? b : a, NULL };
		return;
	}
	if (t != NULL)
		*c = (struct claim){ CLAIM_TYPE, &conf->domains[t->domain],
		    conf_rule_line(conf, t), 0, NULL };
}

unsigned
claim_sharing(const struct udevsnap *u, const struct usbdev *d)
{
	unsigned shared = 0;

	for (size_t i = 0; d->serial != NULL && i < u->n; i++) {
		const struct usbdev *o = &u->v[i];

		if (o == d || !streq_null(o->serial, d->serial))
			continue;
		shared |= CLAIM_SHARED_SERIAL;
		if (o->vendor == d->vendor && o->product == d->product)
			shared |= CLAIM_SHARED_TYPE;
	}
	return shared;
}

const struct usbdev *
claim_serial_device(const struct conf *conf, const struct udevsnap *u,
    const char *serial)
{
	const struct usbdev *named = NULL;
	size_t n = udevsnap_count_serial(u, serial);
	size_t n_named = 0;
	struct claim c;

	if (n <= 1)
		return udevsnap_by_serial(u, serial);
	for (size_t i = 0; i < u->n; i++) {
		const struct usbdev *d = &u->v[i];

		if (!streq_null(d->serial, serial))
			continue;
		claim_device(conf, d, claim_sharing(u, d), &c);
		if (c.kind == CLAIM_SERIAL) {
			named = d;
			n_named++;
		}
	}
	return n_named == 1 ? named : NULL;
}
