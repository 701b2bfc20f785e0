#pragma once

/*
 * The planner's inputs with the lookups every rule makes, indexed once so
 * that a run costs O(n log n) in guests, devices and hostdevs: a host with
 * thousands of them runs this on every udev event. Private to reconcile/:
 * plan.c, status.c and request.c share it. Pure, like them.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf_domain;
struct hostdev;
struct plan_input;
struct udevsnap;
struct usbdev;
struct vdomain;

/* A USB hostdev in a running guest on this host, with what bbvirt makes of it. */
struct holding {
	const struct vdomain *domain;   /* the guest, as the first URI that shows it names it */
	const struct hostdev *hd;
	int kind;               /* enum alias_kind */
	bool adopted;           /* the original bbvirt's: no alias, address only, live only, configured serial */
	char *serial;           /* ours, lent or adopted; NULL: a port or type rule's, or foreign */
	char *key;              /* a port rule's port, or a type rule's "vvvv:pppp@KPORT"; else NULL */
	/* The serial is plugged in at the hostdev's address; for a rule's, the device there is the one it names. */
	bool valid;
};

/* Which rule assigns a present device: most specific first. */
enum claim_kind {
	CLAIM_NONE,
	CLAIM_SERIAL,           /* serials =, or devices = VENDOR:PRODUCT/SERIAL */
	CLAIM_PORT,             /* ports = */
	CLAIM_TYPE,             /* devices = VENDOR:PRODUCT */
	CLAIM_AMBIGUOUS,        /* port rules of two domains name its connector, or one names two devices: nowhere */
	CLAIM_SHARED,           /* a serial rule names its serial, which other devices have too */
	CLAIM_HUB,              /* a port or type rule names a hub, which is never passed through */
	_CLAIM_KIND_MAX,
};

struct claim {
	enum claim_kind kind;
	const struct conf_domain *domain;       /* NULL for none and ambiguous */
	unsigned line;          /* the rule's line (none: 0); ambiguous: the first of the two */
	unsigned line2;         /* ambiguous: the second (the same: one rule names two devices) */
	const char *port;       /* port, and a hub a port rule names: the rule's port, as configured */
};

struct world {
	const struct plan_input *in;
	struct holding *h;
	size_t n;
	const struct usbdev **dev_serial;       /* the device each serial names (world_device()); by serial */
	size_t n_dev_serial;
	const struct usbdev **all_serial;       /* present, with a serial; by serial */
	size_t n_all_serial;
	const struct holding **held;            /* with a serial; by serial, then guest order */
	size_t n_held;
	const struct holding **foreign;         /* foreign, with an address; by bus:dev */
	size_t n_foreign;
	const struct holding **rule_held;       /* a port or type rule's, with an address */
	size_t n_rule_held;
	const struct holding **foreign_ids;     /* foreign, by vendor:product alone */
	size_t n_foreign_ids;
	struct claim *claims;                   /* one per in->devices->v[] */
	unsigned *shared;                       /* one per in->devices->v[]: CLAIM_SHARED_* */
	const struct vdomain **doms;            /* by name, then URI */
	size_t n_doms;
	const struct vdomain **primary;         /* as in->guests->domains: the guest each one is */
};

/* Whether other present devices have a device's serial: flags for claim_device(). */
#define CLAIM_SHARED_SERIAL 1u  /* some other device has its serial */
#define CLAIM_SHARED_TYPE 2u    /* some other device of its type has its serial */

/*
 * The rule that assigns d under conf; shared says which other present
 * devices have its serial (claim_sharing()): what world_build() records
 * for each present device. The one answer to "whose device is this".
 */
void claim_device(const struct conf *conf, const struct usbdev *d,
    unsigned shared, struct claim *c);
/* The sharing flags of d among the devices of u. O(n). */
unsigned claim_sharing(const struct udevsnap *u, const struct usbdev *d);
/*
 * The present device serial names, as world_device() has it: the only
 * one with it, or the one a serial rule tells apart from the others by
 * its type; else NULL. For the command line, before a world is built.
 */
const struct usbdev *claim_serial_device(const struct conf *conf,
    const struct udevsnap *u, const char *serial);

int world_build(const struct plan_input *in, struct world *ret);
void world_done(struct world *w);
/*
 * The claim world_build() records for d, a device of in->devices, from
 * in's config and devices alone (no guests: before they are read). O(n
 * log n). Returns 0 or -ENOMEM.
 */
int world_claim_of(const struct plan_input *in, const struct usbdev *d,
    struct claim *ret);

/*
 * The present device a serial names: the only one with it, or the one a
 * serial rule tells apart from the others by its type; else NULL.
 */
const struct usbdev *world_device(const struct world *w, const char *serial);
/* The hostdevs that hold serial, in guest order: *ret_n of them. */
const struct holding *const *world_holdings(const struct world *w,
    const char *serial, size_t *ret_n);
/* The guest name on uri (NULL: the default), as its first URI names it, or NULL. */
const struct vdomain *world_domain(const struct world *w, const char *uri,
    const char *name);
/* A foreign hostdev at bus:dev, or NULL. */
/*
 * Whether d is busy on the host: a process holds it through usbfs while
 * no running guest's live XML holds it (then that guest's QEMU would be
 * the process). Nothing attaches a busy device: every path that would
 * (sync, attach, attach-all, the udev forms) asks this.
 */
bool world_busy(const struct world *w, const struct usbdev *d);
const struct holding *world_foreign_at(const struct world *w, unsigned bus,
    unsigned dev);
/* Whether serial is on more than one present device. */
bool world_shared(const struct world *w, const char *serial);
/* Whether serial is on a present device, as udevsnap_count_serial() > 0. O(log n). */
bool world_serial_present(const struct world *w, const char *serial);
/*
 * The config domain a serial rule gives serial and its URI (resolved),
 * or NULL: for a present device the claim's, when it is a serial claim;
 * for an absent one the rule's.
 */
const struct conf_domain *world_assigned(const struct world *w,
    const char *serial, const char **ret_uri);
/* The URI a config domain is reached by, resolved. */
const char *world_domain_uri(const struct world *w,
    const struct conf_domain *cd);
bool world_remote(const struct world *w, const char *uri);
/* The rule that assigns d, a device of in->devices. */
const struct claim *world_claim(const struct world *w, const struct usbdev *d);
/* Whether a serial's holding at a device stays there whatever port and type rules say: lent, or a clone's. */
bool world_serial_hold_stays(const struct world *w, const struct holding *h);
/*
 * A foreign hostdev by vendor:product alone of this type, or NULL: it
 * holds some device of the type, so port and type rules leave them all.
 */
const struct holding *world_foreign_of_type(const struct world *w,
    uint16_t vendor, uint16_t product);
/* The port and type rules' hostdevs at bus:dev, in guest order: *ret_n of them. */
const struct holding *const *world_rule_holdings_at(const struct world *w,
    unsigned bus, unsigned dev, size_t *ret_n);
/* A serial's holding (ours, lent or adopted) of the device at bus:dev, or NULL. */
const struct holding *world_serial_holding_at(const struct world *w,
    unsigned bus, unsigned dev);
const char *claim_kind_to_string(enum claim_kind k);
/* Whether a type rule's alias key "vvvv:pppp@KPORT" names d: its type, at its kernel port. */
bool world_type_key_is(const char *key, const struct usbdev *d);

struct plan;

/*
 * Where present device d stands by its claim and the hostdevs that hold
 * it, before sync's plan is looked at (status.c): an enum status_state.
 * *ret_holder is the guest holding it, *ret_alias a foreign holder's
 * alias; both borrowed, or NULL.
 */
int world_device_state(const struct world *w, const struct usbdev *d,
    const char **ret_holder, const char **ret_alias);

/* "FILE:LINE" of the config's rule at line, in *ret. Returns 0 or -ENOMEM. */
int rule_place(const struct conf *conf, unsigned line, char **ret);

/*
 * Adds a refusal of this kind with a message made from fmt. Returns 0 or
 * -ENOMEM. In request.c, the one place messages are formatted.
 */
int refusal_add(struct plan *p, int kind, const char *serial,
    const char *domain, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/*
 * Adds the refusal of an attach of d, named text, whose claim c gives it
 * to no domain: why none. Returns 0 or -ENOMEM.
 */
int refusal_add_claim(struct plan *p, const struct conf *conf,
    const struct claim *c, const struct usbdev *d, const char *text);
