#include <errno.h>
#include <string.h>

#include "conf.h"
#include "event.h"
#include "udevsnap.h"
#include "util.h"
#include "world.h"

static const char *const action_names[_EVENT_ACTION_MAX] = {
	[EVENT_ADD] = "add",
	[EVENT_BIND] = "bind",
	[EVENT_CHANGE] = "change",
	[EVENT_REMOVE] = "remove",
};

/* 1-3 decimal digits at *s; advances *s past them. */
static bool
skip_number(const char **s)
{
	size_t n = strspn(*s, "0123456789");

	*s += n;
	return n >= 1 && n <= 3;
}

/* "usbN" or "BUS-PORT[.PORT...]": nothing else can become a sysfs path. */
static bool
kernel_name_valid(const char *s)
{
	if (strncmp(s, "usb", 3) == 0) {
		s += 3;
		return skip_number(&s) && *s == '\0';
	}
	if (!skip_number(&s) || *s++ != '-')
		return false;
	for (;;) {
		if (!skip_number(&s))
			return false;
		if (*s == '\0')
			return true;
		if (*s++ != '.')
			return false;
	}
}

int
event_name_parse(const char *name, enum event_action *ret_action,
    const char **ret_kernel)
{
	const char *at = strchr(name, '@');

	if (at == NULL || strlen(name) > EVENT_NAME_MAX ||
	    !kernel_name_valid(at + 1))
		return -EINVAL;
	for (size_t a = 0; a < _EVENT_ACTION_MAX; a++)
		if (strlen(action_names[a]) == (size_t)(at - name) &&
		    strncmp(name, action_names[a], at - name) == 0) {
			*ret_action = a;
			*ret_kernel = at + 1;
			return 0;
		}
	return -EINVAL;
}

static const char *const event_why_table[_EVENT_WHY_MAX] = {
	[EVENT_WHY_NONE] = NULL,
	[EVENT_WHY_REMOVED] = "a device went",
	[EVENT_WHY_GONE] = "no device is there now",
	[EVENT_WHY_MANAGED] = "its type is managed",
	[EVENT_WHY_PORT_RULE] = "a port rule names its connector",
	[EVENT_WHY_HUB] = "a hub, and port rules may name its ports' other halves",
};

static const char *const event_why_key_table[_EVENT_WHY_MAX] = {
	[EVENT_WHY_NONE] = "no-sync",
	[EVENT_WHY_REMOVED] = "removed",
	[EVENT_WHY_GONE] = "gone",
	[EVENT_WHY_MANAGED] = "managed",
	[EVENT_WHY_PORT_RULE] = "port-rule",
	[EVENT_WHY_HUB] = "hub",
	[EVENT_WHY_UNKNOWN] = "unknown-event",
	[EVENT_WHY_UNREADABLE] = "unreadable-device",
	[EVENT_WHY_NO_CONFIG] = "unreadable-config",
};

DEFINE_STRING_TABLE_LOOKUP(event_why, enum event_why)
DEFINE_STRING_TABLE_LOOKUP(event_why_key, enum event_why)

enum event_why
event_why(const struct conf *conf, enum event_action a, const struct usbdev *d)
{
	struct claim c;

	if (a == EVENT_REMOVE)
		return EVENT_WHY_REMOVED;
	if (d == NULL)
		return EVENT_WHY_GONE;
	if (conf_manages(conf, d->vendor, d->product))
		return EVENT_WHY_MANAGED;
	/* The planner's own rule: a port rule's claim, or two of them. */
	claim_device(conf, d, 0, &c);
	if (c.kind != CLAIM_NONE)
		return EVENT_WHY_PORT_RULE;
	/*
	 * The kernel links a port to its other half once both halves of a
	 * hub have registered, and tells nobody: a device read before that
	 * had no peer. The hub's own event comes then.
	 */
	if (d->class == USB_CLASS_HUB && conf->n_by_port > 0)
		return EVENT_WHY_HUB;
	return EVENT_WHY_NONE;
}

const char *
event_concerns(const struct conf *conf, enum event_action a,
    const struct usbdev *d)
{
	return event_why_to_string(event_why(conf, a, d));
}
