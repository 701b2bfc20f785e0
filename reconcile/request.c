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

enum plan_refusal_class
plan_refusal_classify(enum plan_refusal_kind k, bool event)
{
	switch (k) {
	case PLAN_REFUSE_MALFORMED:
	case PLAN_REFUSE_MISMATCH:
		return PLAN_REFUSAL_USAGE;
	case PLAN_REFUSE_UNASSIGNED:
	case PLAN_REFUSE_UNMANAGED:
	case PLAN_REFUSE_NO_SERIAL:
	case PLAN_REFUSE_SHARED:
	case PLAN_REFUSE_AMBIGUOUS:
	case PLAN_REFUSE_HUB:
		/* Whose device it is is the config's word: no mistake from udev. */
		return event ? PLAN_REFUSAL_QUIET : PLAN_REFUSAL_USAGE;
	case PLAN_REFUSE_DOMAIN_DOWN:
	case PLAN_REFUSE_BUSY:
		/* The world's state now, which the next event or timer sees change. */
		return event ? PLAN_REFUSAL_QUIET : PLAN_REFUSAL_RUNTIME;
	case PLAN_REFUSE_UNREACHABLE:
		return PLAN_REFUSAL_RUNTIME;
	default:
		/* Typed by a human, these are mistakes; from udev, the world's. */
		return event ? PLAN_REFUSAL_RUNTIME : PLAN_REFUSAL_USAGE;
	}
}

int
rule_place(const struct conf *conf, unsigned line, char **ret)
{
	if (asprintf(ret, "%s:%u", conf->file, line) < 0) {
		*ret = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int
refusal_vmake(struct plan_refusal *r, int kind, const char *serial,
    const char *domain, const char *fmt, va_list ap)
{
	_cleanup_(plan_refusal_done) struct plan_refusal x = { .kind = kind };

	if (vasprintf(&x.message, fmt, ap) < 0) {
		x.message = NULL;
		return -ENOMEM;
	}
	if (strdup_null(serial, &x.serial) < 0 ||
	    strdup_null(domain, &x.domain) < 0)
		return -ENOMEM;
	*r = x;
	x = (struct plan_refusal){ 0 };
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
	return ret;
}

int
refusal_add(struct plan *p, int kind, const char *serial, const char *domain,
    const char *fmt, ...)
{
	va_list ap;
	int r;

	if (GREEDY_GROW(p->refusals, p->n_refusals) < 0)
		return -ENOMEM;
	va_start(ap, fmt);
	r = refusal_vmake(&p->refusals[p->n_refusals], kind, serial, domain,
	    fmt, ap);
	va_end(ap);
	if (r < 0)
		return r;
	p->n_refusals++;
	return 0;
}

/*
 * The device a command line names, or NULL: by serial when no other
 * device has it, by address, or at a port in either spelling, at either
 * half of its connector (the half it sits at first).
 */
static int
find_device(const struct plan_input *in, enum plan_op op, bool by_address,
    const struct devspec *spec, const char *text, const struct usbdev **ret,
    struct plan_refusal *ref)
{
	const struct udevsnap *u = in->devices;
	const struct usbdev *d = NULL;

	*ret = NULL;
	if (spec->kind == DEVSPEC_ADDRESS) {
		*ret = udevsnap_by_address(u, spec->bus, spec->dev);
		return 1;
	}
	if (spec->kind == DEVSPEC_SERIAL && !conf_port_stable(text)) {
		*ret = claim_serial_device(in->conf, u, text);
		/*
		 * Detaching clones of one serial goes by the serial alone; the
		 * udev forms name the device by its address too.
		 */
		if (*ret != NULL || udevsnap_count_serial(u, text) == 0 ||
		    op == PLAN_DETACH || by_address)
			return 1;
		return refusal_make(ref, PLAN_REFUSE_SHARED, text,
		    "serial '%s' is on more than one plugged-in device; name one by its port",
		    text);
	}
	d = udevsnap_by_port(u, spec->kind == DEVSPEC_PORT ? spec->text : text);
	for (size_t i = 0; d == NULL && i < u->n; i++)
		if (strchr(u->v[i].port, '-') != NULL &&
		    usbdev_at_port(&u->v[i], text))
			d = &u->v[i];
	*ret = d;
	return 1;
}

static int
refusal_claim_v(struct plan_refusal *r, const struct conf *conf,
    const struct claim *c, const struct usbdev *d, const char *text)
{
	const char *serial = d->serial;

	switch (c->kind) {
	case CLAIM_AMBIGUOUS:
		if (c->line == c->line2)
			return refusal_make(r, PLAN_REFUSE_AMBIGUOUS, serial,
			    "device '%s' (%u:%u) is assigned nowhere: the port rule at %s:%u names more than one device",
			    text, d->bus, d->dev, conf->file, c->line);
		return refusal_make(r, PLAN_REFUSE_AMBIGUOUS, serial,
		    "device '%s' (%u:%u) is assigned nowhere: the port rules at %s:%u and %s:%u name its connector",
		    text, d->bus, d->dev, conf->file, c->line, conf->file,
		    c->line2);
	case CLAIM_SHARED:
		return refusal_make(r, PLAN_REFUSE_SHARED, serial,
		    "device '%s' (%u:%u) is assigned nowhere: its serial '%s' is on more than one plugged-in device",
		    text, d->bus, d->dev, serial);
	case CLAIM_HUB:
		return refusal_make(r, PLAN_REFUSE_HUB, serial,
		    "device '%s' (%u:%u) is a hub, which no port or type rule passes through (%s:%u)",
		    text, d->bus, d->dev, conf->file, c->line);
	default:
		break;
	}
	if (!d->managed)
		return refusal_make(r, PLAN_REFUSE_UNMANAGED, serial,
		    "device '%s' (%u:%u) is a %04x:%04x, a type no rule manages",
		    text, d->bus, d->dev, d->vendor, d->product);
	if (d->serial == NULL)
		return refusal_make(r, PLAN_REFUSE_NO_SERIAL, serial,
		    "device '%s' (%u:%u) has no usable serial number, and no port or type rule assigns it",
		    text, d->bus, d->dev);
	return refusal_make(r, PLAN_REFUSE_UNASSIGNED, serial,
	    "device '%s' is not assigned to a domain; name one with -D", text);
}

int
refusal_add_claim(struct plan *p, const struct conf *conf,
    const struct claim *c, const struct usbdev *d, const char *text)
{
	int r;

	if (GREEDY_GROW(p->refusals, p->n_refusals) < 0)
		return -ENOMEM;
	r = refusal_claim_v(&p->refusals[p->n_refusals], conf, c, d, text);
	if (r < 0)
		return r;
	p->n_refusals++;
	return 0;
}

/* SERIAL -b B -d D: the event's address must be that serial's, for an attach. */
static int
check_event_address(const struct udevsnap *u, const struct plan_device_arg *arg,
    const char *serial, struct plan_refusal *ref)
{
	const struct usbdev *at = udevsnap_by_address(u, arg->bus, arg->dev);

	if (arg->op != PLAN_ATTACH)
		return 1;
	if (at == NULL)
		return refusal_make(ref, PLAN_REFUSE_NOT_PLUGGED, serial,
		    "no device is plugged in at %u:%u (for '%s')",
		    arg->bus, arg->dev, serial);
	/* Of a type not managed, its serial is unknown here: udev's word stands. */
	if (at->serial != NULL && strcmp(at->serial, serial) != 0)
		return refusal_make(ref, PLAN_REFUSE_MISMATCH, serial,
		    "device %u:%u has serial '%s', not '%s'", arg->bus,
		    arg->dev, at->serial != NULL ? at->serial : "(none)",
		    serial);
	return 1;
}

/*
 * An attach of a device no rule assigns: refused before libvirt is
 * asked, with the reason the planner would give (refuse_attach()).
 */
static int
refuse_unclaimed(const struct plan_input *in, const struct plan_request *q,
    struct plan_refusal *ref)
{
	const struct usbdev *d = q->device;
	struct claim c;
	int r;

	r = world_claim_of(in, d, &c);
	if (r < 0)
		return r;
	if (c.domain != NULL)
		return 1;
	return refusal_claim_v(ref, in->conf, &c, d, q->text);
}

int
plan_resolve(const struct plan_input *in, const struct plan_device_arg *arg,
    bool event, struct plan_request *ret_request,
    struct plan_refusal *ret_refusal)
{
	const struct udevsnap *u = in->devices;
	struct plan_request q = {
		.op = arg->op, .domain = arg->domain, .text = arg->device,
	};
	struct plan_device_arg local = *arg;
	const struct usbdev *d = NULL;
	const struct usbdev *at;
	struct devspec spec;
	int r;

	if (devspec_parse(arg->device, &spec) < 0 &&
	    !conf_port_stable(arg->device))
		return refusal_make(ret_refusal, PLAN_REFUSE_MALFORMED, NULL,
		    "expected a serial number, BUS:DEV, BUS-PORT[.PORT...] or a stable port path, got '%s'",
		    arg->device);
	if (conf_port_stable(arg->device))
		spec.kind = DEVSPEC_SERIAL;     /* looked up as a port below */
	r = find_device(in, arg->op, arg->dev != 0, &spec, arg->device, &d,
	    ret_refusal);
	if (r <= 0)
		return r;
	q.device = d;
	if (spec.kind == DEVSPEC_SERIAL && !conf_port_stable(arg->device))
		q.serial = arg->device;
	/* -b alone: the device number is looked up, when it is on that bus. */
	if (arg->bus != 0 && arg->dev == 0 && q.serial != NULL &&
	    d != NULL && d->bus == arg->bus)
		local.dev = d->dev;
	if (local.bus != 0 && local.dev == 0 && arg->op == PLAN_ATTACH)
		return refusal_make(ret_refusal, PLAN_REFUSE_NOT_PLUGGED,
		    q.serial, "no device '%s' is plugged in on bus %u",
		    arg->device, arg->bus);
	if (local.dev != 0 && q.serial != NULL) {
		r = check_event_address(u, &local, q.serial, ret_refusal);
		if (r <= 0)
			return r;
		q.exact = true;
		q.has_address = true;
		q.bus = local.bus;
		q.dev = local.dev;
		/* The device the event names is the one at its address, if still there. */
		at = udevsnap_by_address(u, q.bus, q.dev);
		if (arg->op == PLAN_ATTACH || (at != NULL &&
		    (at->serial == NULL || strcmp(at->serial, q.serial) == 0)))
			q.device = d = at;
		else if (arg->op == PLAN_DETACH)
			q.device = d = NULL;
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
		    q.serial, "no device '%s' is plugged in", arg->device);
	/* A device is named in messages by its serial, when that is an identity. */
	if (d != NULL && d->serial != NULL && claim_sharing(u, d) == 0)
		q.text = d->serial;
	/*
	 * A udev form asks no libvirt daemon for a device the claim gives
	 * nobody: a worker must not wait on one. A human's attach goes on
	 * to the planner, whose refusal says what status says (lent, say).
	 */
	if (event && arg->op == PLAN_ATTACH && arg->domain == NULL) {
		r = refuse_unclaimed(in, &q, ret_refusal);
		if (r <= 0)
			return r;
	}
	*ret_request = q;
	return 1;
}

bool
plan_request_uri(const struct plan_input *in, const struct plan_request *q,
    const char **ret_uri)
{
	const struct conf_domain *cd = NULL;
	struct claim c;

	if (q->domain != NULL)
		cd = conf_find_domain(in->conf, q->domain);
	else if (q->device != NULL) {
		claim_device(in->conf, q->device, claim_sharing(in->devices,
		    q->device), &c);
		cd = c.domain;
	} else if (q->serial != NULL)
		(void)conf_serial_rule(in->conf, q->serial, &cd);
	if (cd == NULL && q->domain == NULL)
		return false;
	*ret_uri = conf_domain_uri(in->conf, cd, in->uri_override);
	return true;
}

struct plan_request
plan_request_all(enum plan_op op, const char *domain)
{
	return (struct plan_request){ .op = op, .domain = domain, .all = true };
}
