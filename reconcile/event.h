#pragma once

/*
 * What an event the udev rule queued can mean to a sync. The rule runs
 * for every USB device, whatever its type (a new type needs a config
 * line and nothing else), so most events are of devices no rule names:
 * bbvirt-event reads the config and the one device, and asks for a sync
 * only for an event the config may want something of. Pure: no I/O, no
 * logging, like the planner.
 */
#include <stdbool.h>

struct conf;
struct usbdev;

enum event_action {
	EVENT_ADD,
	EVENT_BIND,
	EVENT_CHANGE,
	EVENT_REMOVE,
	_EVENT_ACTION_MAX,
};

/* The name of the queue entry the rule leaves: "ACTION@KERNEL", the kernel's name of the device. */
#define EVENT_NAME_MAX 64

/*
 * Parses a queue entry's name: ACTION one of add, bind, change, remove;
 * KERNEL "usbN" or "BUS-PORT[.PORT...]", digits only between the
 * separators. *ret_kernel points into name. Returns 0 or -EINVAL.
 */
int event_name_parse(const char *name, enum event_action *ret_action,
    const char **ret_kernel);

/* Why an event may need a sync, or none does. */
enum event_why {
	EVENT_WHY_NONE,         /* no sync: nothing the config names */
	EVENT_WHY_REMOVED,      /* a device went */
	EVENT_WHY_GONE,         /* no device is at its kernel name now */
	EVENT_WHY_MANAGED,      /* its type is managed */
	EVENT_WHY_PORT_RULE,    /* a port rule names its connector */
	EVENT_WHY_HUB,          /* a hub, while port rules exist */
	EVENT_WHY_UNKNOWN,      /* in doubt: not an event bbvirt knows */
	EVENT_WHY_UNREADABLE,   /* in doubt: the device cannot be read */
	EVENT_WHY_NO_CONFIG,    /* in doubt: the config cannot be read */
	_EVENT_WHY_MAX,
};

/* As event_concerns() says it, EVENT_WHY_NONE as NULL. */
enum event_why event_why(const struct conf *conf, enum event_action a,
    const struct usbdev *d);
/*
 * The words of the log line: "its type is managed"; NULL for none, and
 * for the reasons in doubt, which bbvirt-event words itself.
 */
const char *event_why_to_string(enum event_why w);
/* One word, for the journal's BBVIRT_REASON: "managed", "no-sync". */
const char *event_why_key_to_string(enum event_why w);

/*
 * Why a sync may have work after this event, or NULL when it cannot: d
 * is the device now present at the event's kernel name, NULL when none
 * is. A device that went is always worth a sync (what it was is gone
 * with it, and a hostdev of bbvirt's may hold it); a present one is,
 * when its type is managed (serial and type rules, and the clones
 * rule), when the planner would give it to a port rule (claim_device()),
 * and, while any port rule exists, when it is a hub.
 */
const char *event_concerns(const struct conf *conf, enum event_action a,
    const struct usbdev *d);
