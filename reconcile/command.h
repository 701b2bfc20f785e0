#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "plan.h"

struct conf;
struct strv;

/*
 * The decisions that depend on which command runs, taken once here so that
 * every front end asks the same function: whether the run changes guests,
 * what a hold means to it, which libvirt daemons it must ask, and which
 * requests it hands the planner. All pure.
 */
enum command {
	COMMAND_SYNC,
	COMMAND_STATUS,
	COMMAND_CONFIG,
	COMMAND_ATTACH,
	COMMAND_DETACH,
	COMMAND_ATTACH_ALL,
	COMMAND_DETACH_ALL,
	COMMAND_RELEASE,
	COMMAND_RECLAIM,
	COMMAND_RESTORE_FILTER,
	_COMMAND_MAX,
};

/* What the command line asked for, once its options are checked. */
struct command_line {
	enum command command;
	char *const *args;      /* the words after the command */
	size_t n_args;
	const char *domain;     /* -D, or NULL */
	const char *connect;    /* -c, or NULL */
	unsigned bus;           /* -b, 0 when not given */
	unsigned dev;           /* -d, 0 when not given */
	bool dry_run;
};

const char *command_to_string(enum command c);
/* The command named s, or -EINVAL. */
int command_from_string(const char *s);

/*
 * The udev forms, attach|detach DEVICE -b BUS [-d DEV]: for them a device
 * assigned nowhere, a domain that is down or a missing config is no
 * failure (udev would log one for each event).
 */
bool command_is_event(const struct command_line *cl);

/* Whether the run may change guests, and so takes the lock. */
bool command_changes(const struct command_line *cl);

/*
 * Whether the run writes the metrics file: a sync (reclaim is one) that
 * takes the lock; never status, --dry-run or a one-device command.
 */
bool command_writes_metrics(const struct command_line *cl);

/* What a hold in place (bbvirt release) makes of a run. */
enum command_hold {
	COMMAND_HOLD_UNREAD,    /* the command does not look at the hold */
	COMMAND_HOLD_GO_ON,     /* it runs as usual (status shows the hold) */
	COMMAND_HOLD_QUIET,     /* it is over and succeeds, the reason at -v */
	COMMAND_HOLD_REFUSED,   /* it fails: a person asked for an attach */
	_COMMAND_HOLD_MAX,
};

enum command_hold command_hold(const struct command_line *cl);

/* Which libvirt daemons a run asks, once the devices are read. */
enum command_libvirt {
	COMMAND_LIBVIRT_ASK,            /* those in *ret_uris */
	COMMAND_LIBVIRT_UNASSIGNED,     /* none: the config assigns nothing */
	COMMAND_LIBVIRT_NO_SERIAL,      /* none: a remove event without a serial */
	COMMAND_LIBVIRT_NOWHERE,        /* none: an event for a device assigned nowhere */
	_COMMAND_LIBVIRT_MAX,
};

/*
 * Decides which daemons the run must ask; one is the resolved request of
 * a one-device command (NULL for the others). With COMMAND_LIBVIRT_ASK,
 * *ret_uris (empty on entry) holds the URIs in config order and
 * *ret_with_default whether libvirt's default URI is asked too. A
 * one-device command asks its domain's daemon alone, so that a hung
 * daemon elsewhere cannot stall a udev worker. Returns 0 or -ENOMEM.
 */
int command_libvirt(const struct command_line *cl, const struct conf *conf,
    const struct plan_input *in, const struct plan_request *one,
    struct strv *ret_uris, bool *ret_with_default,
    enum command_libvirt *ret);

/*
 * The planner's input for the command: the requests of the one-device
 * and *-all commands (in *one, which in->requests then points to), the
 * scope of sync, release's flag. A one-device command's DEVICE is
 * resolved against in->devices; when that is refused, returns 0 with
 * *ret_refusal filled (the caller's: plan_refusal_done()). *scope is
 * the caller's, empty on entry; in borrows from it and from cl. Returns
 * 1 (the input is ready), 0 or -ENOMEM.
 */
int command_input(const struct command_line *cl, struct plan_input *in,
    struct plan_request *one, struct strv *scope,
    struct plan_refusal *ret_refusal);

const char *command_hold_to_string(enum command_hold h);
const char *command_libvirt_to_string(enum command_libvirt l);
