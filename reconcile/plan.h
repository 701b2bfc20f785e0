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
	char *alias;            /* attach: the alias to set; detach: the one to detach by, NULL: by address */
	enum plan_result result;
	char *error;            /* why it failed */
};

/* Why a request was not done; the plan holds no action for it. */
enum plan_refusal_kind {
	PLAN_REFUSE_MALFORMED,          /* DEVICE is no serial, BUS:DEV or BUS-PORT */
	PLAN_REFUSE_NOT_PLUGGED,        /* no managed device is plugged in by that name */
	PLAN_REFUSE_UNMANAGED,          /* the address is a device of a type not managed */
	PLAN_REFUSE_NO_SERIAL,          /* the device has no usable serial number */
	PLAN_REFUSE_SHARED,             /* its serial is on more than one plugged device */
	PLAN_REFUSE_MISMATCH,           /* -b/-d name a device with another serial */
	PLAN_REFUSE_UNASSIGNED,         /* assigned to no domain, and none named */
	PLAN_REFUSE_NO_DOMAIN,          /* the domain is in neither the config nor libvirt */
	PLAN_REFUSE_REMOTE,             /* the domain's URI reaches another host */
	PLAN_REFUSE_UNREACHABLE,        /* the domain's URI did not answer */
	PLAN_REFUSE_DOMAIN_DOWN,        /* the domain is not running */
	PLAN_REFUSE_HELD_ELSEWHERE,     /* another domain holds it, attached by bbvirt */
	PLAN_REFUSE_FOREIGN,            /* a hostdev bbvirt does not own holds it */
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
 * One device a human or a udev event named, resolved by plan_resolve()
 * or built by the caller for the *-all forms.
 */
struct plan_request {
	enum plan_op op;
	const char *serial;     /* NULL: only the address is known (a device since unplugged) */
	const char *domain;     /* attach: -D (NULL: the config's); detach: only from it (NULL: any) */
	bool has_address;       /* bus:dev is the device's, resolved or given */
	unsigned bus;
	unsigned dev;
	bool exact;             /* SERIAL -b B -d D: that serial's hostdev at that address only */
	bool keep_lent;         /* detach-all: devices lent by hand stay */
	bool quiet;             /* *-all: an absent device or a stopped domain is no refusal */
};

/* What a one-device command names on its command line. */
struct plan_device_arg {
	enum plan_op op;
	const char *device;     /* SERIAL, BUS:DEV or BUS-PORT[.PORT...] */
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
struct plan *plan_free(struct plan *plan);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct plan *, plan_free)

/*
 * Resolves what a one-device command names against the config and the
 * devices plugged in (in->conf, in->devices): its serial, its address, and
 * whether it can be asked for at all. Returns 0 with *ret_request filled
 * (borrowing from arg and the snapshot), 1 with *ret_refusal filled (the
 * caller's: plan_refusal_done()) when it cannot, or -ENOMEM. Pure.
 */
int plan_resolve(const struct plan_input *in, const struct plan_device_arg *arg,
    struct plan_request *ret_request, struct plan_refusal *ret_refusal);
void plan_refusal_done(struct plan_refusal *r);

/*
 * The one libvirt URI a resolved one-device request needs: its -D
 * domain's, else its serial's assigned domain's (NULL: libvirt's
 * default). Returns false when no domain is known, and every configured
 * URI must be looked at (a detach of an unassigned or unplugged device).
 */
bool plan_request_uri(const struct plan_input *in, const struct plan_request *q,
    const char **ret_uri);

/*
 * The requests of attach-all and detach-all: one per serial of domain (a
 * config key or name, NULL: of every domain), each carried out on its own;
 * a detach takes a device from that domain only and leaves it where it was
 * lent by hand. Returns 0 or -ENOMEM; *ret is the caller's, never NULL on
 * success, and borrows from conf.
 */
int plan_requests_all(const struct conf *conf, enum plan_op op,
    const char *domain, struct plan_request **ret, size_t *ret_n);

/*
 * Whether a live hostdev without an alias of ours might be the original
 * bbvirt's, to adopt: its source names an address and nothing else, and
 * the device at that address (or, after a remove event, the request's
 * serial) is one the config assigns. It is adopted only if it is also
 * absent from the persistent definition, which the snapshot reads for
 * these alone. userdata is the struct plan_input.
 */
bool plan_adoptable(const struct hostdev *hd, void *userdata);

const char *plan_op_to_string(enum plan_op op);
const char *plan_reason_to_string(enum plan_reason r);
const char *plan_result_to_string(enum plan_result r);
const char *plan_refusal_kind_to_string(enum plan_refusal_kind k);
