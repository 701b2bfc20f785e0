#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf;
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
	_PLAN_REASON_MAX,
};

enum plan_result {
	PLAN_PLANNED,
	PLAN_DONE,
	PLAN_FAILED,
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

/* Something asked for that cannot be done; the plan holds no action for it. */
struct plan_conflict {
	char *serial;
	char *domain;           /* the domain that holds it */
};

struct plan {
	struct plan_action *v;
	size_t n;
	struct plan_conflict *conflicts;
	size_t n_conflicts;
};

/* One device a human named: attach puts it in domain (NULL: the config's), detach takes it out. */
struct plan_request {
	enum plan_op op;
	const char *serial;     /* NULL: only the address is known */
	const char *domain;     /* attach: the -D domain; NULL for the config's */
	bool has_address;       /* -b/-d, or resolved from the device */
	unsigned bus;
	unsigned dev;
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
};

/*
 * Computes the actions that bring the guests to the config (or that carry
 * out the requests): detaches first, then by domain and serial. Pure: no
 * I/O, no logging. Returns 0 or -ENOMEM; *ret_plan is the caller's.
 */
int plan_build(const struct plan_input *in, struct plan **ret_plan);
struct plan *plan_free(struct plan *plan);

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
	STATUS_SHARED,          /* plugged in on more than one device: none is assigned */
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
	char *assigned;         /* domain name, or NULL */
	char *attached;         /* domain holding it, or NULL */
	enum status_state state;
};

struct status_domain {
	char *name;
	char *uri;
	bool active;
	bool reachable;
	const char **serials;   /* NULL-terminated, config order; borrowed from the config */
};

struct status {
	struct status_device *devices;  /* present ones by bus:dev, then absent ones by serial */
	size_t n_devices;
	struct status_domain *domains;  /* config order */
	size_t n_domains;
};

/* Where every managed device and assignment stands. Pure. Returns 0 or -ENOMEM. */
int status_build(const struct plan_input *in, struct status **ret_status);
struct status *status_free(struct status *st);

const char *plan_op_to_string(enum plan_op op);
const char *plan_reason_to_string(enum plan_reason r);
const char *plan_result_to_string(enum plan_result r);
const char *status_state_to_string(enum status_state s);
