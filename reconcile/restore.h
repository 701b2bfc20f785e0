#pragma once

/*
 * What the restore filter does with each USB hostdev of a domain that
 * libvirt is about to restore from a save image or receive by migration:
 * the address in the XML is from when the guest was saved, or from
 * another host. Pure: no I/O, no logging, like the planner.
 */
#include <stdbool.h>
#include <stddef.h>

#include "domxml.h"

struct conf;
struct udevsnap;

enum restore_verdict {
	RESTORE_KEEP,           /* not bbvirt's: left as it is */
	RESTORE_READDRESS,      /* the device's current address */
	RESTORE_PARK,           /* optional, at an address no device can have */
	RESTORE_BLOCK,          /* the same address, not optional: libvirt refuses the start */
	_RESTORE_VERDICT_MAX,
};

enum restore_reason {
	RESTORE_FOREIGN,        /* keep: no alias of bbvirt's */
	RESTORE_NO_SOURCE,      /* keep: ours, but no <source> to rewrite */
	RESTORE_ASSIGNED,       /* readdress: plugged in, the claim gives it this domain by the same rule */
	RESTORE_ABSENT,         /* park: the device it names is not plugged in */
	RESTORE_SHARED,         /* park: its serial is on more than one device */
	RESTORE_ELSEWHERE,      /* park: the claim gives it another domain, or this one by another rule */
	RESTORE_UNASSIGNED,     /* park: the claim gives it no domain */
	RESTORE_OTHER_RULE,     /* park: the claim gives it this domain, by another rule than the hostdev's */
	RESTORE_LENT,           /* park: lent by hand; a lending ends with the run */
	RESTORE_TWICE,          /* park: an earlier hostdev of this domain takes the device */
	RESTORE_TAKEN,          /* park: a hostdev not bbvirt's names the device's address */
	RESTORE_WITH_OTHERS,    /* park: another of bbvirt's is parked (see restore_decide()) */
	RESTORE_HELD,           /* park: bbvirt release holds, nothing is attached */
	_RESTORE_REASON_MAX,
};

struct restore_decision {
	enum restore_verdict verdict;
	enum restore_reason reason;
	bool change;            /* the document does not say so already */
	char *serial;           /* from the alias; NULL when not ours */
	const char *assigned;   /* ELSEWHERE: the domain, borrowed from the config */
	struct domxml_source source;    /* READDRESS and PARK: what <source> names */
};

struct restore_plan {
	struct restore_decision *v;     /* one per hostdev, in document order */
	size_t n;
	size_t n_changes;
};

/* Whether any of the n hostdevs carries an alias of bbvirt's. */
bool restore_any_owned(const struct hostdev_span *hds, size_t n);

/*
 * Decides for each of the n hostdevs of domain (its <name>): readdressed
 * only when the claim (world_build() without guests) gives the device it
 * names to domain by the rule that made it; every other one of bbvirt's is
 * parked, never left at its old address. One parked parks them all, or
 * blocks them beside a hostdev not bbvirt's: a parked usb-host takes any
 * device its QEMU may open (bbvirt(1), "Restore and migration"). Returns 0
 * or -ENOMEM.
 */
int restore_decide(const struct conf *conf, const struct udevsnap *devices,
    bool held, const char *domain, const struct hostdev_span *hds, size_t n,
    struct restore_plan *ret);
void restore_plan_done(struct restore_plan *p);

/*
 * Checks the rewritten document's hostdevs (after, n_after) against the
 * plan for the original's (before, n): the same hostdevs in the same
 * order with the same aliases, each changed one naming what was decided,
 * the others as they were. Returns 0, or -EINVAL when they differ.
 */
int restore_check(const struct restore_plan *p,
    const struct hostdev_span *before, size_t n,
    const struct hostdev_span *after, size_t n_after);

/*
 * The len bytes of xml (read into doc) with the <source> of each hostdev
 * the plan changes replaced by one built with libxml2, and every other
 * byte as it was; read back and checked with restore_check(). Returns 0,
 * -EINVAL when the result does not read back as planned, or -ENOMEM;
 * *ret (NUL-terminated, *ret_len bytes) is the caller's.
 */
int restore_rewrite(const char *xml, size_t len, const struct domxml_spans *doc,
    const struct restore_plan *p, char **ret, size_t *ret_len);

const char *restore_verdict_to_string(enum restore_verdict v);
/* A predicate that follows the serial (or, when not ours, the hostdev). */
const char *restore_reason_to_string(enum restore_reason r);
/* The same in one word: "absent", "elsewhere". */
const char *restore_reason_key_to_string(enum restore_reason r);
