#include <errno.h>
#include <string.h>

#include "command.h"
#include "conf.h"
#include "util.h"

static const char *const command_table[_COMMAND_MAX] = {
	[COMMAND_SYNC] = "sync",
	[COMMAND_STATUS] = "status",
	[COMMAND_CONFIG] = "config",
	[COMMAND_ATTACH] = "attach",
	[COMMAND_DETACH] = "detach",
	[COMMAND_ATTACH_ALL] = "attach-all",
	[COMMAND_DETACH_ALL] = "detach-all",
	[COMMAND_RELEASE] = "release",
	[COMMAND_RECLAIM] = "reclaim",
	[COMMAND_RESTORE_FILTER] = "restore-filter",
};

static const char *const command_hold_table[_COMMAND_HOLD_MAX] = {
	[COMMAND_HOLD_UNREAD] = "unread",
	[COMMAND_HOLD_GO_ON] = "go-on",
	[COMMAND_HOLD_QUIET] = "quiet",
	[COMMAND_HOLD_REFUSED] = "refused",
};

static const char *const command_libvirt_table[_COMMAND_LIBVIRT_MAX] = {
	[COMMAND_LIBVIRT_ASK] = "ask",
	[COMMAND_LIBVIRT_UNASSIGNED] = "unassigned",
	[COMMAND_LIBVIRT_NO_SERIAL] = "no-serial",
	[COMMAND_LIBVIRT_NOWHERE] = "nowhere",
};

DEFINE_STRING_TABLE_LOOKUP(command, enum command)
DEFINE_STRING_TABLE_LOOKUP_FROM_STRING(command)
DEFINE_STRING_TABLE_LOOKUP(command_hold, enum command_hold)
DEFINE_STRING_TABLE_LOOKUP(command_libvirt, enum command_libvirt)

static bool
one_device(enum command c)
{
	return c == COMMAND_ATTACH || c == COMMAND_DETACH;
}

bool
command_is_event(const struct command_line *cl)
{
	return cl->bus != 0 && one_device(cl->command);
}

bool
command_changes(const struct command_line *cl)
{
	return !cl->dry_run && cl->command != COMMAND_STATUS &&
	    cl->command != COMMAND_CONFIG &&
	    cl->command != COMMAND_RESTORE_FILTER;
}

bool
command_writes_metrics(const struct command_line *cl)
{
	return (cl->command == COMMAND_SYNC || cl->command == COMMAND_RECLAIM) &&
	    command_changes(cl);
}

enum command_hold
command_hold(const struct command_line *cl)
{
	switch (cl->command) {
	case COMMAND_SYNC:
		return COMMAND_HOLD_QUIET;
	case COMMAND_ATTACH:
		/* udev's event is no failure; a person's request is. */
		return command_is_event(cl) ? COMMAND_HOLD_QUIET :
		    COMMAND_HOLD_REFUSED;
	case COMMAND_ATTACH_ALL:
		return COMMAND_HOLD_REFUSED;
	case COMMAND_STATUS:
	case COMMAND_DETACH:
	case COMMAND_DETACH_ALL:
		return COMMAND_HOLD_GO_ON;
	default:
		/* release and reclaim set and end it; config is no run. */
		return COMMAND_HOLD_UNREAD;
	}
}

/*
 * libvirt's default URI is looked at only when something refers to it: a
 * domain without a URI, a domain named on the command line that the
 * config does not know, or an empty config (to show what holds devices).
 */
static bool
default_wanted(const struct command_line *cl, const struct conf *conf)
{
	if (conf->n_domains == 0)
		return true;
	for (size_t i = 0; cl->command == COMMAND_SYNC && i < cl->n_args; i++)
		if (conf_find_domain(conf, cl->args[i]) == NULL)
			return true;
	return cl->domain != NULL && conf_find_domain(conf, cl->domain) == NULL;
}

/* Every URI of the config, in its order; *with_default: a NULL entry. */
static int
collect_uris(const struct command_line *cl, const struct conf *conf,
    struct strv *uris, bool *with_default)
{
	const char *def = cl->connect != NULL ? cl->connect : conf->uri;
	int r;

	*with_default = def == NULL && default_wanted(cl, conf);
	if (def != NULL && (r = strv_push(uris, def)) < 0)
		return r;
	for (size_t i = 0; i < conf->n_domains; i++) {
		const char *u = conf_domain_uri(conf, &conf->domains[i],
		    cl->connect);

		if (u == NULL)
			*with_default = true;
		else if (!strv_contains(uris, u) && (r = strv_push(uris, u)) < 0)
			return r;
	}
	return 0;
}

/* Commands that act on the config's assignment alone. */
static bool
needs_assignment(enum command c)
{
	/* release looks even so: its aliases are bbvirt's whatever the config says. */
	return c == COMMAND_SYNC || c == COMMAND_RECLAIM ||
	    c == COMMAND_ATTACH_ALL || c == COMMAND_DETACH_ALL;
}

int
command_libvirt(const struct command_line *cl, const struct conf *conf,
    const struct plan_input *in, const struct plan_request *one,
    struct strv *ret_uris, bool *ret_with_default,
    enum command_libvirt *ret)
{
	const char *uri = NULL;

	*ret_with_default = false;
	if (needs_assignment(cl->command) && !conf_assigns(conf)) {
		*ret = COMMAND_LIBVIRT_UNASSIGNED;
		return 0;
	}
	*ret = COMMAND_LIBVIRT_ASK;
	if (one != NULL && !one->all && plan_request_uri(in, one, &uri)) {
		*ret_with_default = uri == NULL;
		return uri != NULL ? strv_push(ret_uris, uri) : 0;
	}
	/*
	 * A remove event without a serial: finding who held the device would
	 * mean asking every daemon from a udev worker. The sync that the same
	 * event queues (bbvirt's own rule) detaches it.
	 */
	if (command_is_event(cl) && one != NULL && one->serial == NULL)
		*ret = COMMAND_LIBVIRT_NO_SERIAL;
	else if (command_is_event(cl))
		*ret = COMMAND_LIBVIRT_NOWHERE;
	else
		return collect_uris(cl, conf, ret_uris, ret_with_default);
	return 0;
}

static int
device_input(const struct command_line *cl, struct plan_input *in,
    struct plan_request *one, struct plan_refusal *ret_refusal)
{
	struct plan_device_arg arg = {
		.op = cl->command == COMMAND_ATTACH ? PLAN_ATTACH : PLAN_DETACH,
		.device = cl->args[0], .domain = cl->domain,
		.bus = cl->bus, .dev = cl->dev,
	};
	int r;

	r = plan_resolve(in, &arg, command_is_event(cl), one, ret_refusal);
	if (r <= 0)
		return r;
	in->requests = one;
	in->n_requests = 1;
	return 1;
}

int
command_input(const struct command_line *cl, struct plan_input *in,
    struct plan_request *one, struct strv *scope,
    struct plan_refusal *ret_refusal)
{
	int r;

	in->uri_override = cl->connect;
	switch (cl->command) {
	case COMMAND_ATTACH:
	case COMMAND_DETACH:
		return device_input(cl, in, one, ret_refusal);
	case COMMAND_ATTACH_ALL:
	case COMMAND_DETACH_ALL:
		*one = plan_request_all(cl->command == COMMAND_ATTACH_ALL ?
		    PLAN_ATTACH : PLAN_DETACH,
		    cl->n_args == 1 ? cl->args[0] : NULL);
		in->requests = one;
		in->n_requests = 1;
		return 1;
	case COMMAND_RELEASE:
		in->release = true;
		return 1;
	case COMMAND_SYNC:
		/* sync -D DOMAIN is sync DOMAIN. */
		for (size_t i = 0; i < cl->n_args; i++)
			if ((r = strv_push(scope, cl->args[i])) < 0)
				return r;
		if (cl->domain != NULL && (r = strv_push(scope, cl->domain)) < 0)
			return r;
		in->only = (const char *const *)scope->v;
		in->n_only = scope->n;
		return 1;
	default:
		return 1;
	}
}
