#pragma once

/*
 * seedd's claim, known before it bites: seedd on this host takes the
 * BitBabblers its config names in [Device:SERIAL] sections, or every one
 * when it names none, and early in the boot, before a guest can. Pure.
 */
#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct conf;
struct plan_input;
struct seedd_conf;

enum seeddclaim_kind {
	SEEDDCLAIM_REFUSED,     /* seedd refuses a header of its config: it does not start */
	SEEDDCLAIM_ASSIGNED,    /* a serial both a seedd device and given to a guest */
	SEEDDCLAIM_TAKES_ALL,   /* no device section: seedd takes the guests' BitBabblers too */
	_SEEDDCLAIM_KIND_MAX,
};

struct seeddclaim_warning {
	enum seeddclaim_kind kind;
	char *serial;           /* assigned: the serial; else NULL */
	char *domain;           /* assigned: the domain the config gives it; else NULL */
	char *seedd_at;         /* "FILE:LINE" in seedd's config (refused, assigned), or NULL */
	char *rule_at;          /* assigned: "FILE:LINE" of the rule giving it, or NULL */
	char *message;          /* one line: what, and what to do; for the log and the JSON */
};

struct seeddclaim {
	const char *file;       /* seedd's config (borrowed) */
	bool device_sections;   /* it has a [Device:...] section */
	struct seeddclaim_warning *warnings;    /* refused; else assigned by serial, then takes-all */
	size_t n_warnings;
	bool devices_read;      /* status: the plugged-in devices were looked at */
	/*
	 * The serials of the plugged-in BitBabblers the config leaves to the
	 * host (the claim gives them to no domain), in bus:dev order: what
	 * seedd's [Device:SERIAL] sections should name.
	 */
	struct strv host;
};

/*
 * What seedd's config means for conf's assignment. in (the plugged-in
 * devices, status) may be NULL (config): then only the serials of serial
 * rules are compared. A rule counts when it may name a BitBabbler
 * (CONF_DEFAULT_USB_ID): a devices = rule of that type, or a serials =
 * rule while that type is managed; with in, a present BitBabbler's claim
 * counts whatever its kind. Returns 0 or -ENOMEM; *ret borrows seedd's
 * file name, and is the caller's to seeddclaim_done().
 */
int seeddclaim_build(const struct conf *conf, const struct seedd_conf *seedd,
    const struct plan_input *in, struct seeddclaim *ret);
void seeddclaim_done(struct seeddclaim *c);

const char *seeddclaim_kind_to_string(enum seeddclaim_kind k);
