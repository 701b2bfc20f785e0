/*
 * What a one-device command may ask for, and every refusal's words: one
 * place, so that the planner and the command line cannot disagree. Pure:
 * messages are formatted into memory, never written.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "devspec.h"
#include "plan.h"
#include "udevsnap.h"
#include "util.h"
#include "world.h"

void
plan_refusal_done(struct plan_refusal *r)
{
	free(r->message);
	free(r->serial);
	free(r->domain);
	*r = (struct plan_refusal){ 0 };
}

static int
refusal_vmake(struct plan_refusal *r, int kind, const char *serial,
    const char *domain, const char *fmt, va_list ap)
{
	*r = (struct plan_refusal){ .kind = kind };
	if (vasprintf(&r->message, fmt, ap) < 0) {
		r->message = NULL;
		return -ENOMEM;
	}
	if ((serial != NULL && (r->serial = strdup(serial)) == NULL) ||
	    (domain != NULL && (r->domain = strdup(domain)) == NULL)) {
		plan_refusal_done(r);
		return -ENOMEM;
	}
	return 0;
}

static int
refusal_make(struct plan_refusal *r, int kind, const char *serial,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
refusal_make(struct plan_refusal *r, int kind, const char *serial,
    const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = refusal_vmake(r, kind, serial, NULL, fmt, ap);
	va_end(ap);
	return ret < 0 ? ret : 1;
}

int
refusal_add(struct plan *p, int kind, const char *serial, const char *domain,
    const char *fmt, ...)
{
	struct plan_refusal *v;
	va_list ap;
	int r;

	if (array_grow(&p->refusals, p->n_refusals, 0, sizeof(*v)) < 0)
		return -ENOMEM;
	v = p->refusals;
	va_start(ap, fmt);
	r = refusal_vmake(&v[p->n_refusals], kind, serial, domain, fmt, ap);
	va_end(ap);
	if (r < 0)
		return r;
	p->n_refusals++;
	return 0;
}

/* The device a command line names, or NULL; refuses a type not managed. */
static int
find_device(const struct udevsnap *u, const struct devspec *spec,
    const char *text, const struct usbdev **ret, struct plan_refusal *ref)
{
	const struct usbdev *d;

	switch (spec->kind) {
	case DEVSPEC_SERIAL:
		*ret = udevsnap_by_serial(u, spec->text);
		return 0;
	case DEVSPEC_ADDRESS:
		d = udevsnap_by_address(u, spec->bus, spec->dev);
		if (d != NULL && !d->managed)
			return refusal_make(ref, PLAN_REFUSE_UNMANAGED, NULL,
			    "device '%s' is a %04x:%04x, a type bbvirt does not manage",
			    text, d->vendor, d->product);
		*ret = d;
		return 0;
	default:
		d = udevsnap_by_port(u, spec->text);
		*ret = d != NULL && d->managed ? d : NULL;
		return 0;
	}
}

/* SERIAL -b B -d D: the event's address must be that serial's, for an attach. */
static int
check_event_address(const struct udevsnap *u, const struct plan_device_arg *arg,
    const char *serial, struct plan_refusal *ref)
{
	const struct usbdev *at = udevsnap_by_address(u, arg->bus, arg->dev);

	if (at != NULL && !at->managed)
		return refusal_make(ref, PLAN_REFUSE_UNMANAGED, serial,
		    "device %u:%u is a %04x:%04x, a type bbvirt does not manage",
		    arg->bus, arg->dev, at->vendor, at->product);
	if (arg->op != PLAN_ATTACH)
		return 0;
	if (at == NULL)
		return refusal_make(ref, PLAN_REFUSE_NOT_PLUGGED, serial,
		    "no managed device is plugged in at %u:%u (for '%s')",
		    arg->bus, arg->dev, serial);
	if (!streq_null(at->serial, serial))
		return refusal_make(ref, PLAN_REFUSE_MISMATCH, serial,
		    "device %u:%u has serial '%s', not '%s'", arg->bus,
		    arg->dev, at->serial != NULL ? at->serial :
		    at->shared != NULL ? at->shared : "(none)", serial);
	return 0;
}

int
plan_resolve(const struct plan_input *in, const struct plan_device_arg *arg,
    struct plan_request *ret_request, struct plan_refusal *ret_refusal)
{
	const struct udevsnap *u = in->devices;
	struct plan_request q = { .op = arg->op, .domain = arg->domain };
	struct plan_device_arg local = *arg;
	const struct usbdev *d = NULL;
	struct devspec spec;
	int r;

	if (devspec_parse(arg->device, &spec) < 0)
		return refusal_make(ret_refusal, PLAN_REFUSE_MALFORMED, NULL,
		    "expected a serial number, BUS:DEV or BUS-PORT[.PORT...], got '%s'",
		    arg->device);
	r = find_device(u, &spec, arg->device, &d, ret_refusal);
	if (r != 0)
		return r;
	if (d != NULL && d->serial == NULL && d->shared == NULL)
		return refusal_make(ret_refusal, PLAN_REFUSE_NO_SERIAL, NULL,
		    "device '%s' at %u:%u has no usable serial number",
		    arg->device, d->bus, d->dev);
	q.serial = d != NULL ? (d->serial != NULL ? d->serial : d->shared) :
	    spec.kind == DEVSPEC_SERIAL ? arg->device : NULL;
	if (q.serial != NULL && arg->op == PLAN_ATTACH &&
	    udevsnap_shared(u, q.serial))
		return refusal_make(ret_refusal, PLAN_REFUSE_SHARED, q.serial,
		    "serial '%s' is on more than one plugged-in device; neither can be attached",
		    q.serial);
	/* -b alone: the device number is looked up, when it is on that bus. */
	if (arg->bus != 0 && arg->dev == 0 && spec.kind == DEVSPEC_SERIAL &&
	    d != NULL && d->bus == arg->bus)
		local.dev = d->dev;
	if (local.bus != 0 && local.dev == 0 && arg->op == PLAN_ATTACH)
		return refusal_make(ret_refusal, PLAN_REFUSE_NOT_PLUGGED,
		    q.serial, "no managed device '%s' is plugged in on bus %u",
		    arg->device, arg->bus);
	if (local.dev != 0 && spec.kind == DEVSPEC_SERIAL) {
		r = check_event_address(u, &local, q.serial, ret_refusal);
		if (r != 0)
			return r;
		q.exact = true;
		q.has_address = true;
		q.bus = local.bus;
		q.dev = local.dev;
	} else if (d != NULL) {
		q.has_address = true;
		q.bus = d->bus;
		q.dev = d->dev;
	} else if (spec.kind == DEVSPEC_ADDRESS) {
		q.has_address = true;
		q.bus = spec.bus;
		q.dev = spec.dev;
	}
	/* Detaching needs only something to find the hostdev by. */
	if (d == NULL && (arg->op == PLAN_ATTACH ||
	    (!q.has_address && q.serial == NULL)))
		return refusal_make(ret_refusal, PLAN_REFUSE_NOT_PLUGGED,
		    q.serial, "no managed device '%s' is plugged in",
		    arg->device);
	if (arg->op == PLAN_ATTACH && arg->domain == NULL &&
	    conf_domain_of(in->conf, q.serial) == NULL)
		return refusal_make(ret_refusal, PLAN_REFUSE_UNASSIGNED,
		    q.serial, "device '%s' is not assigned to a domain; name one with -D",
		    q.serial);
	*ret_request = q;
	return 0;
}

bool
plan_request_uri(const struct plan_input *in, const struct plan_request *q,
    const char **ret_uri)
{
	const struct conf_domain *cd = NULL;

	if (q->domain != NULL)
		cd = conf_find_domain(in->conf, q->domain);
	else if (q->serial != NULL)
		cd = conf_domain_of(in->conf, q->serial);
	if (cd == NULL && q->domain == NULL)
		return false;
	*ret_uri = conf_domain_uri(in->conf, cd, in->uri_override);
	return true;
}

int
plan_requests_all(const struct conf *conf, enum plan_op op, const char *domain,
    struct plan_request **ret, size_t *ret_n)
{
	const struct conf_domain *only = domain != NULL ?
	    conf_find_domain(conf, domain) : NULL;
	struct plan_request *v = calloc(conf->n_by_serial + 1, sizeof(*v));
	size_t n = 0;

	if (v == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < conf->n_domains; i++) {
		const struct conf_domain *cd = &conf->domains[i];

		if (domain != NULL && cd != only)
			continue;
		for (size_t j = 0; j < cd->n_serials; j++)
			v[n++] = (struct plan_request){
				.op = op, .serial = cd->serials[j].serial,
				.domain = op == PLAN_ATTACH ? NULL : cd->name,
				.keep_lent = op == PLAN_DETACH, .quiet = true,
			};
	}
	*ret = v;
	*ret_n = n;
	return 0;
}
