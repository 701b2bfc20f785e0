/*
 * Which rule of the config assigns a present device: the planner's rule
 * (world_build() records it for every device), and bbvirt-event's, which
 * asks for a sync only for a device some rule may claim. Pure.
 */
#include <string.h>

#include "conf.h"
#include "udevsnap.h"
#include "util.h"
#include "world.h"

/*
 * Most specific first: the serial (its type too, for devices =
 * V:P/SERIAL), then the port, then the type. A hub is never passed
 * through by port or type, and a root hub is the controller itself. A
 * device whose connector two port rules name, in two spellings or at
 * its two halves, goes nowhere: which rule wins must not depend on which
 * name is looked up first.
 */
void
claim_device(const struct conf *conf, const struct usbdev *d, struct claim *c)
{
	const char *names[] = { d->port, d->path, d->peer_port, d->peer_path };
	const struct conf_rule_ref *found[ARRAY_SIZE(names)];
	const struct conf_domain *cd = NULL;
	const struct conf_serial *s;
	const struct conf_rule_ref *t;
	size_t n = 0;

	*c = (struct claim){ .kind = CLAIM_NONE };
	if (strchr(d->port, '-') == NULL)
		return;
	s = d->serial != NULL ? conf_serial_rule(conf, d->serial, &cd) : NULL;
	if (s != NULL && (!s->has_id || (s->id.vendor == d->vendor &&
	    s->id.product == d->product))) {
		*c = (struct claim){ CLAIM_SERIAL, cd, s->line, 0, NULL };
		return;
	}
	if (d->class == USB_CLASS_HUB)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		const struct conf_rule_ref *r = names[i] != NULL ?
		    conf_port_rule(conf, names[i]) : NULL;
		bool seen = false;

		for (size_t k = 0; r != NULL && k < n; k++)
			seen = seen || found[k] == r;
		if (r != NULL && !seen)
			found[n++] = r;
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
	t = conf_type_rule(conf, d->vendor, d->product);
	if (t != NULL)
		*c = (struct claim){ CLAIM_TYPE, &conf->domains[t->domain],
		    conf_rule_line(conf, t), 0, NULL };
}
