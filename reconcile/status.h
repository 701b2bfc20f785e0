#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct plan;
struct plan_action;
struct plan_input;
struct seeddclaim;

enum status_state {
	STATUS_ATTACHED,        /* held by its assigned domain */
	STATUS_PENDING,         /* its domain runs without it: sync will attach */
	STATUS_ABSENT,          /* assigned, not plugged in */
	STATUS_DOMAIN_DOWN,     /* assigned to a domain that is not running */
	STATUS_UNASSIGNED,      /* plugged in, assigned nowhere, held nowhere */
	STATUS_STALE,           /* a guest holds an old address of it */
	STATUS_FOREIGN,         /* a hostdev bbvirt does not own holds its address */
	STATUS_OVERRIDE,        /* lent by hand to another domain */
	STATUS_UNUSABLE,        /* plugged in without a usable serial */
	STATUS_SHARED,          /* a serial rule names it, on more than one device: none is assigned */
	STATUS_REMOTE,          /* assigned to a domain on another host: left alone */
	STATUS_UNMANAGED,       /* plugged in, of a type no rule manages */
	STATUS_AMBIGUOUS,       /* port rules of two domains name its connector: assigned nowhere */
	STATUS_HUB,             /* a hub a port or type rule names: never passed through */
	STATUS_BUSY,            /* assigned, and a host process holds it (usbfs): not attached */
	_STATUS_STATE_MAX,
};

struct status_device {
	char *serial;           /* NULL for a device without a usable serial */
	bool present;
	uint16_t vendor;
	uint16_t product;
	unsigned bus;
	unsigned dev;
	char *port;
	char *path;             /* the stable path of its port, or NULL */
	char *connector;        /* its connector's one name (its USB 2 half's), or NULL */
	char *assigned;         /* domain name, or NULL */
	char *attached;         /* domain holding it, or NULL */
	char *holder_alias;     /* foreign: the alias of the hostdev that holds it, NULL if none */
	char **addresses;       /* shared: "BUS:DEV" of every device with the serial, NULL-terminated */
	double speed;           /* Mb/s, the kernel's; 0: unknown or absent */
	const char *controller; /* attached: the model of the guest's USB controller it is on (static), or NULL */
	bool slowed;            /* that controller is slower than the device (usb_model_slows()) */
	char *busy_holder;      /* busy: "NAME[PID]" of the host process, when it could be seen; else NULL */
	const char *rule;       /* the kind of rule that assigns it ("serial", "port", "type", "ambiguous"), or NULL */
	char **rule_at;         /* "FILE:LINE" of that rule (two when ambiguous), NULL-terminated, or NULL */
	enum status_state state;
	/*
	 * Given sync's plan (status_build_with()): the actions that make it
	 * stale or pending (borrowed from that plan; none when it built its
	 * own); where it stands once its detaches are done and it has no
	 * attach, as the claim and the hostdevs that stay say; and who holds
	 * it then: the hostdevs that hold it, in the order attached names
	 * the first, go as long as one of the actions detaches them
	 * (holder_detaches, borrowed), and the domain of the first that
	 * stays is holder_kept (NULL: none; attached when none goes).
	 */
	const struct plan_action **actions;
	size_t n_actions;
	enum status_state settled;
	const struct plan_action **holder_detaches;
	size_t n_holder_detaches;
	char *holder_kept;
};

struct status_domain {
	char *name;
	char *uri;
	bool active;
	bool reachable;
	bool remote;
	const char **serials;   /* NULL-terminated, config order; borrowed from the config */
};

struct status {
	struct status_device *devices;  /* present ones by bus:dev, then absent ones by serial */
	size_t n_devices;
	struct status_domain *domains;  /* config order */
	size_t n_domains;
	const char *released;   /* bbvirt release holds since then (borrowed), or NULL */
	const struct seeddclaim *seedd; /* seedd's claim, when checked (borrowed), or NULL */
};

/*
 * Where every managed device and assignment stands, by the same rules as
 * plan_build(). Pure. Returns 0 or -ENOMEM; *ret_status is the caller's.
 */
int status_build(const struct plan_input *in, struct status **ret_status);
/*
 * status_build(), given sync: what plan_build() makes of in without its
 * only, requests and release, which a full sync has just built (NULL:
 * build it). Each device's actions are borrowed from sync, which must
 * outlive the status; none when sync is NULL. Pure. Returns 0 or -ENOMEM.
 */
int status_build_with(const struct plan_input *in, const struct plan *sync,
    struct status **ret_status);
/*
 * Where sd stands once the sync's actions on it (sd->actions) have the
 * results apply_plan() gave them: its state before while a detach of
 * something held of it failed or was not tried; else attached when its
 * attach was done, domain-down when its domain stopped meanwhile,
 * pending when the attach failed; with no attach, sd->settled. A detach
 * whose domain stopped meanwhile counts as done. *ret_holder is the
 * domain holding it then (borrowed from sd or the plan), or NULL. Pure.
 */
enum status_state status_device_after(const struct status_device *sd,
    const char **ret_holder);
struct status *status_free(struct status *st);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct status *, status_free)

const char *status_state_to_string(enum status_state s);
