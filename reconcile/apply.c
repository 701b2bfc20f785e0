#include <errno.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "apply.h"
#include "domxml.h"
#include "log.h"
#include "plan.h"
#include "util.h"
#include "virtconn.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(virDomainPtr, virDomainFree)

static int
apply_one(struct plan_action *a, const struct apply_ops *ops, void *userdata)
{
	_cleanup_free_ char *xml = NULL;
	int r;

	if (a->op == PLAN_ATTACH || a->alias == NULL) {
		r = domxml_build_usb_hostdev(a->bus, a->dev,
		    a->op == PLAN_ATTACH ? a->alias : NULL, &xml);
		if (r < 0)
			return r;
	}
	if (a->op == PLAN_ATTACH)
		return ops->attach(userdata, a, xml);
	if (a->alias == NULL)
		return ops->detach_xml(userdata, a, xml);
	/*
	 * libvirt only asks QEMU to let go of a device detached by alias. Wait
	 * until it has: a later attach of the same device elsewhere needs it
	 * free, and whoever ran bbvirt may look at the guest next.
	 */
	r = ops->detach_alias(userdata, a);
	if (r < 0)
		return r;
	return ops->wait_gone(userdata, a);
}

/*
 * An attach reuses the alias and needs the device free: after a detach of
 * the same serial failed, libvirt would refuse it or the guest would hold
 * the device twice. Returns the domain that still holds it, or NULL.
 */
static const char *
blocked_by(const struct plan *plan, size_t i)
{
	const struct plan_action *a = &plan->v[i];

	for (size_t k = 0; a->op == PLAN_ATTACH && a->serial != NULL && k < i;
	    k++)
		if (plan->v[k].op == PLAN_DETACH &&
		    plan->v[k].result == PLAN_FAILED &&
		    streq_null(plan->v[k].serial, a->serial))
			return plan->v[k].domain;
	return NULL;
}

/*
 * How the notices name an action's device: by its serial; without one,
 * by its port and type, or by its address alone when it is not present.
 */
static const char *
action_name(const struct plan_action *a, char *buf, size_t n)
{
	int k;

	if (a->serial != NULL)
		k = snprintf(buf, n, "'%s'", a->serial);
	else if (a->port != NULL)
		k = snprintf(buf, n, "the %04x:%04x at port %s", a->vendor,
		    a->product, a->port);
	else
		k = snprintf(buf, n, "the device");
	return k > 0 && (size_t)k < n ? buf : "the device";
}

/* The journal's fields of the device and domain a is about. */
static struct log_fields
action_fields(const struct plan_action *a)
{
	return (struct log_fields){
		.action = plan_op_to_string(a->op), .domain = a->domain,
		.serial = a->serial, .port = a->port, .bus = a->bus,
		.dev = a->dev, .vendor = a->vendor, .product = a->product,
		.rule = { a->rule },
	};
}

/*
 * After an attach: a device of 480 Mb/s or more that libvirt put on a USB
 * 1.1 controller of the guest, said so (the live XML tells which).
 */
static void
warn_slowed(struct plan_action *a, const char *name,
    const struct apply_ops *ops, void *userdata)
{
	struct log_fields f = action_fields(a);

	f.reason = "slow-controller";
	/* Only a device the controller could slow is worth the look. */
	if (a->speed < USB_HIGH_SPEED_MBPS || a->alias == NULL ||
	    ops->find_controller == NULL || ops->find_controller(userdata, a) < 0)
		return;
	if (usb_model_slows(a->controller, a->speed))
		log_struct(LOG_WARNING, &f, "%s (%u:%u, %g Mb/s) is on a USB 1.1 controller of '%s' (%s), which runs it at 12 Mb/s at most: give the domain a qemu-xhci controller",
		    name, a->bus, a->dev, a->speed, a->domain,
		    a->controller->name);
}

/*
 * Logs what became of a, named name: a notice for a change, an error for
 * a failure, with the journal's fields (bbvirt(1), JOURNAL).
 */
static void
log_result(const struct plan_action *a, const char *name)
{
	bool attach = a->op == PLAN_ATTACH;
	struct log_fields f = action_fields(a);

	f.reason = plan_reason_to_string(a->reason);
	f.result = plan_result_to_string(a->result);
	f.error = a->error;

	switch (a->result) {
	case PLAN_DONE:
		f.message_id = attach ? LOG_MESSAGE_ATTACHED :
		    LOG_MESSAGE_DETACHED;
		if (attach)
			log_struct(LOG_NOTICE, &f, "attached %s (%u:%u) to '%s'",
			    name, a->bus, a->dev, a->domain);
		else
			log_struct(LOG_NOTICE, &f, "detached %s (%u:%u) from '%s': %s",
			    name, a->bus, a->dev, a->domain, f.reason);
		break;
	case PLAN_STOPPED:
		f.message_id = LOG_MESSAGE_STOPPED;
		log_struct(LOG_INFO, &f, "%s (%u:%u) not %s '%s': the domain stopped meanwhile",
		    name, a->bus, a->dev, attach ? "attached to" :
		    "detached from", a->domain);
		break;
	default:
		f.message_id = LOG_MESSAGE_FAILED;
		if (attach)
			log_struct(LOG_ERR, &f, "cannot attach %s (%u:%u) to '%s': %s",
			    name, a->bus, a->dev, a->domain,
			    a->error != NULL ? a->error : "?");
		else
			log_struct(LOG_ERR, &f, "cannot detach %s (%u:%u) from '%s': %s",
			    name, a->bus, a->dev, a->domain,
			    a->error != NULL ? a->error : "?");
		break;
	}
}

int
apply_plan(struct plan *plan, const struct apply_ops *ops, void *userdata)
{
	int failed = 0;

	for (size_t i = 0; i < plan->n; i++) {
		struct plan_action *a = &plan->v[i];
		char name[SERIAL_MAX + 64];
		const char *shown;
		const char *holder = blocked_by(plan, i);
		int r;

		if (holder != NULL) {
			r = asprintf(&a->error, "not tried: it could not be detached from '%s'",
			    holder) < 0 ? -ENOMEM : -EBUSY;
			if (r == -ENOMEM)
				a->error = NULL;
		} else
			r = apply_one(a, ops, userdata);
		if (r == -ENOMEM && a->error == NULL)
			return log_oom();
		if (r >= 0)
			a->result = PLAN_DONE;
		else if (r == -ESRCH)
			a->result = PLAN_STOPPED;
		else {
			a->result = PLAN_FAILED;
			if (a->error == NULL)
				a->error = strdup(strerror(-r));
			failed++;
		}
		shown = action_name(a, name, sizeof(name));
		log_result(a, shown);
		if (a->op == PLAN_ATTACH && a->result == PLAN_DONE)
			warn_slowed(a, shown, ops, userdata);
	}
	return failed;
}

/* Records why a failed: msg, a copy. Returns r. */
static int
action_error(struct plan_action *a, int r, const char *msg)
{
	free(a->error);
	a->error = strdup(msg);
	return r;
}

/* libvirt's reason for the call that just failed. */
static int
virt_error(struct plan_action *a)
{
	const char *m = virGetLastErrorMessage();

	return action_error(a, -EIO, m != NULL ? m : "unknown libvirt error");
}

static int
lookup(struct virtconns *c, struct plan_action *a, virDomainPtr *ret)
{
	int r = virtconns_lookup(c, a->uri, a->domain, ret);

	return r < 0 ? action_error(a, r, virtconns_lookup_error(r)) : 0;
}

enum virt_op {
	VIRT_ATTACH,
	VIRT_DETACH_ALIAS,
	VIRT_DETACH_XML,
};

/* One live change to one domain; arg is the hostdev XML or the alias. */
static int
virt_change(void *userdata, struct plan_action *a, enum virt_op op,
    const char *arg)
{
	struct virtconns *c = userdata;
	_cleanup_(virDomainFreep) virDomainPtr dom = NULL;
	int r;

	r = lookup(c, a, &dom);
	if (r < 0)
		return r;
	c->calls++;
	switch (op) {
	case VIRT_ATTACH:
		r = virDomainAttachDeviceFlags(dom, arg, VIR_DOMAIN_AFFECT_LIVE);
		break;
	case VIRT_DETACH_ALIAS:
		r = virDomainDetachDeviceAlias(dom, arg, VIR_DOMAIN_AFFECT_LIVE);
		break;
	case VIRT_DETACH_XML:
		r = virDomainDetachDeviceFlags(dom, arg, VIR_DOMAIN_AFFECT_LIVE);
		break;
	}
	if (r >= 0)
		return 0;
	r = virt_error(a);
	/*
	 * The snapshot saw it running; a guest that stopped since (shut
	 * down, destroyed, saved) fails every live change. Not a failure of
	 * ours: it gets its devices when it starts again.
	 */
	if (virDomainIsActive(dom) == 0)
		return -ESRCH;
	return r;
}

static int
virt_attach(void *userdata, struct plan_action *a, const char *xml)
{
	return virt_change(userdata, a, VIRT_ATTACH, xml);
}

static int
virt_detach_alias(void *userdata, struct plan_action *a)
{
	return virt_change(userdata, a, VIRT_DETACH_ALIAS, a->alias);
}

static int
virt_detach_xml(void *userdata, struct plan_action *a, const char *xml)
{
	return virt_change(userdata, a, VIRT_DETACH_XML, xml);
}

static bool
has_alias(const char *xml, const char *alias)
{
	_cleanup_(hostdev_list_done) struct hostdev_list l = { 0 };

	if (domxml_hostdevs(xml, strlen(xml), &l) < 0)
		return true;
	for (size_t i = 0; i < l.n; i++)
		if (streq_null(l.v[i].alias, alias))
			return true;
	return false;
}

/*
 * Detaching by alias returns once QEMU was asked; the device leaves a
 * little later. Poll the live XML for up to five seconds.
 */
static int
virt_wait_gone(void *userdata, struct plan_action *a)
{
	struct virtconns *c = userdata;
	_cleanup_(virDomainFreep) virDomainPtr dom = NULL;
	int r;

	r = lookup(c, a, &dom);
	if (r < 0)
		return r;
	for (int i = 0; i < 50; i++) {
		_cleanup_free_ char *xml = NULL;
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		c->calls++;
		xml = virDomainGetXMLDesc(dom, 0);
		if (xml == NULL)
			return virt_error(a);
		if (!has_alias(xml, a->alias))
			return 0;
		(void)nanosleep(&ts, NULL);
	}
	return action_error(a, -ETIMEDOUT,
	    "the guest did not release the device within 5 s");
}

static int
virt_find_controller(void *userdata, struct plan_action *a)
{
	struct virtconns *c = userdata;
	_cleanup_(virDomainFreep) virDomainPtr dom = NULL;
	_cleanup_(hostdev_list_done) struct hostdev_list l = { 0 };
	_cleanup_free_ char *xml = NULL;
	int r;

	r = lookup(c, a, &dom);
	if (r < 0)
		return r;
	c->calls++;
	/* The attach is done: a failure here is no reason of the action's. */
	xml = virDomainGetXMLDesc(dom, 0);
	if (xml == NULL)
		return -EIO;
	r = domxml_hostdevs(xml, strlen(xml), &l);
	if (r < 0)
		return r;
	for (size_t i = 0; i < l.n; i++)
		if (streq_null(l.v[i].alias, a->alias))
			a->controller = l.v[i].controller;
	return 0;
}

const struct apply_ops apply_libvirt_ops = {
	.attach = virt_attach,
	.detach_alias = virt_detach_alias,
	.detach_xml = virt_detach_xml,
	.wait_gone = virt_wait_gone,
	.find_controller = virt_find_controller,
};
