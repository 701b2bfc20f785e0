#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct conf;
struct hostdev;
struct plan_input;
struct udevsnap;
struct virtsnap;

enum plan_op {
	PLAN_DETACH,
	PLAN_ATTACH,
	_PLAN_OP_MAX,
};

enum plan_reason {
	PLAN_MISSING,           /* attach: its domain runs without it */
	PLAN_REQUESTED,         /* a human asked: attach, detach, *-all */
	PLAN_ABSENT,            /* detach: the serial is not plugged in */
	PLAN_READDRESSED,       /* detach: the serial is now at another bus:device */
	PLAN_REASSIGNED,        /* detach: the config assigns it to another domain */
	PLAN_UNASSIGNED,        /* detach: the config assigns it nowhere */
	PLAN_RELEASED,          /* detach: bbvirt release gives back every device */
	_PLAN_REASON_MAX,
};

enum plan_result {
	PLAN_PLANNED,
	PLAN_DONE,
	PLAN_FAILED,
	PLAN_STOPPED,           /* not done: the domain stopped meanwhile, no failure */
	_PLAN_RESULT_MAX,
};

struct plan_action {
	enum plan_op op;
	enum plan_reason reason;
	char *domain;           /* libvirt name */
	char *uri;              /* NULL: libvirt's default */
	char *serial;           /* NULL only when detaching by address alone */
	unsigned bus;
	unsigned dev;
	char *port;             /* NULL when the device is not present */
	uint16_t vendor;        /* the device's type when present, else 0 */
	uint16_t product;
	double speed;           /* the device's, Mb/s, when present; else 0 */
	char *alias;            /* attach: the alias to set; detach: the one to detach by, NULL: by address */
	char *rule;             /* "FILE:LINE" of the rule that gives its device a domain now, or NULL */
	enum plan_result result;
	char *error;            /* why it failed */
	/* attach done: the model of the guest's USB controller libvirt put it on, NULL: unknown */
	const struct usb_model *controller;
};

/* Why a request was not done; the plan holds no action for it. */
enum plan_refusal_kind {
	PLAN_REFUSE_MALFORMED,          /* DEVICE is no serial, BUS:DEV or BUS-PORT */
	PLAN_REFUSE_NOT_PLUGGED,        /* no device is plugged in by that name */
	PLAN_REFUSE_UNMANAGED,          /* a device of a type no rule manages */
	PLAN_REFUSE_NO_SERIAL,          /* no usable serial number, and no port or type rule assigns it */
	PLAN_REFUSE_SHARED,             /* its serial is on more than one plugged device */
	PLAN_REFUSE_MISMATCH,           /* -b/-d name a device with another serial */
	PLAN_REFUSE_UNASSIGNED,         /* assigned to no domain, and none named */
	PLAN_REFUSE_NO_DOMAIN,          /* the domain is in neither the config nor libvirt */
	PLAN_REFUSE_REMOTE,             /* the domain's URI reaches another host */
	PLAN_REFUSE_UNREACHABLE,        /* the domain's URI did not answer */
	PLAN_REFUSE_DOMAIN_DOWN,        /* the domain is not running */
	PLAN_REFUSE_HELD_ELSEWHERE,     /* another domain holds it, attached by bbvirt */
	PLAN_REFUSE_FOREIGN,            /* a hostdev bbvirt does not own holds it */
	PLAN_REFUSE_AMBIGUOUS,          /* port rules of two domains name its connector */
	PLAN_REFUSE_HUB,                /* a hub: never passed through by port or type */
	PLAN_REFUSE_BUSY,               /* a host process holds it (usbfs) */
	_PLAN_REFUSE_MAX,
};

struct plan_refusal {
	enum plan_refusal_kind kind;
	char *message;          /* one line saying what and why, for the log */
	char *serial;           /* NULL when not known */
	char *domain;           /* the domain asked for, or the one holding it */
};

struct plan {
	struct plan_action *v;
	size_t n;
	struct plan_refusal *refusals;
	size_t n_refusals;
};

/*
 * One device a human or a udev event named, resolved by plan_resolve(),
 * or the whole of a domain (or of every domain) for the *-all forms,
 * built by plan_requests_all(). attach does for it what sync would:
 * sync's attach and the detaches that free the device, or the reason
 * there is none; detach takes every hostdev bbvirt owns for it.
 */
struct plan_request {
	enum plan_op op;
	const struct usbdev *device;    /* present; NULL: unplugged (detach), or all */
	const char *text;       /* DEVICE as given, for messages; NULL for all */
	const char *serial;     /* detach of an unplugged device: its serial, or NULL */
	const char *domain;     /* attach: -D (NULL: the config's); detach, *-all: only it (NULL: any) */
	bool all;               /* attach-all, detach-all; detach-all leaves lent devices */
	bool has_address;       /* bus:dev is the device's, resolved or given */
	unsigned bus;
	unsigned dev;
	bool exact;             /* SERIAL -b B -d D: that serial's hostdev at that address only */
};

/* What a one-device command names on its command line. */
struct plan_device_arg {
	enum plan_op op;
	const char *device;     /* SERIAL, BUS:DEV, BUS-PORT[.PORT...] or a stable port path */
	const char *domain;     /* -D, or NULL */
	unsigned bus;           /* -b, 0 when not given */
	unsigned dev;           /* -d, 0 when not given: looked up with -b alone */
};

struct plan_input {
	const struct conf *conf;
	const struct udevsnap *devices;
	const struct virtsnap *guests;
	const char *uri_override;       /* -c URI, or NULL */
	const char *const *only;        /* sync DOMAIN...: names or config keys */
	size_t n_only;
	const struct plan_request *requests;    /* NULL: converge everything (sync) */
	size_t n_requests;
	/*
	 * bbvirt release: every hostdev bbvirt owns (its aliases, lent ones,
	 * adopted ones), from every running guest on this host, whatever the
	 * config assigns; requests and only are not looked at.
	 */
	bool release;
};

/*
 * Computes the actions that bring the guests to the config (or that carry
 * out the requests): detaches first, then by domain and serial. A request
 * that cannot be carried out becomes a refusal instead, and the others go
 * on. Only hostdevs bbvirt owns are ever detached: its aliases, and the
 * original bbvirt's attachments it adopts (see plan_adoptable()). Pure: no
 * I/O, no logging. Returns 0 or -ENOMEM; *ret_plan is the caller's.
 */
int plan_build(const struct plan_input *in, struct plan **ret_plan);
/*
 * Gives each action of sync, a whole host's plan, the result of the same
 * action in part, a plan of sync DOMAIN... built from the same snapshot
 * (whose actions are some of sync's); the others keep theirs. Pure.
 */
void plan_copy_results(struct plan *sync, const struct plan *part);
struct plan *plan_free(struct plan *plan);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct plan *, plan_free)

/*
 * Resolves what a one-device command names against the devices plugged
 * in (in->devices): the device, by serial, address, or port in either
 * spelling at either half of its connector. For a udev form (event), an
 * attach of a device the claim gives nobody is refused here, before
 * libvirt is asked, with the reason plan_build() would give. Returns 1
 * with *ret_request filled (borrowing from arg and the snapshot), 0 with
 * *ret_refusal filled (the caller's: plan_refusal_done()) when it
 * cannot, or -ENOMEM. Pure.
 */
int plan_resolve(const struct plan_input *in, const struct plan_device_arg *arg,
    bool event, struct plan_request *ret_request,
    struct plan_refusal *ret_refusal);
void plan_refusal_done(struct plan_refusal *r);

/* What a refusal makes of a one-device command's run. */
enum plan_refusal_class {
	PLAN_REFUSAL_QUIET,     /* nothing to do: exit 0, the reason at -v */
	PLAN_REFUSAL_USAGE,     /* a mistake in the invocation or the config: exit 2 */
	PLAN_REFUSAL_RUNTIME,   /* a state of the world: exit 1 */
	_PLAN_REFUSAL_CLASS_MAX,
};

/*
 * The class of a refusal of kind k; event: the command is a udev form,
 * for which a device the config assigns nowhere, or a domain that will
 * get it when it starts, is no failure. Pure.
 */
enum plan_refusal_class plan_refusal_classify(enum plan_refusal_kind k,
    bool event);

/*
 * The one libvirt URI a resolved one-device request needs: its -D
 * domain's, else that of the domain the claim gives its device (for an
 * unplugged one, its serial's rule) (NULL: libvirt's default). Returns
 * false when no domain is known, and every configured URI must be
 * looked at (a detach of an unassigned or unplugged device).
 */
bool plan_request_uri(const struct plan_input *in, const struct plan_request *q,
    const char **ret_uri);

/* The one request of attach-all or detach-all: for domain (a config key or name), NULL: every domain. */
struct plan_request plan_request_all(enum plan_op op, const char *domain);

/*
 * Whether a live hostdev without an alias of ours might be the original
 * bbvirt's, to adopt: its source names an address and nothing else, and
 * the claim for the device at that address (or, after a remove event,
 * the request's serial) is a serial rule. It is adopted only if it is
 * also absent from the persistent definition, which the snapshot reads
 * for these alone. userdata is the struct plan_input.
 */
bool plan_adoptable(const struct hostdev *hd, void *userdata);

const char *plan_op_to_string(enum plan_op op);
const char *plan_reason_to_string(enum plan_reason r);
const char *plan_result_to_string(enum plan_result r);
const char *plan_refusal_kind_to_string(enum plan_refusal_kind k);
