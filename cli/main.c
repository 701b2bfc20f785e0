/*
 * bbvirt: keeps USB devices attached to the libvirt guests a config file
 * assigns them to. This file reads the command line and dispatches to the
 * verb; each verb is in its own file, and the decisions it takes are in
 * reconcile/command.c.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "bbvirt.h"
#include "devspec.h"
#include "log.h"
#include "startup.h"
#include "virtconn.h"

#define DEFAULT_TIMEOUT 30

static struct cli_args arg = {
	.common.config = CONF_DEFAULT_PATH,
	.timeout = DEFAULT_TIMEOUT,
};

static void
help(void)
{
	printf("Usage: bbvirt sync [DOMAIN...] [options]\n"
	    "       bbvirt status [options]\n"
	    "       bbvirt config [options]\n"
	    "       bbvirt attach|detach DEVICE [options]\n"
	    "       bbvirt attach-all|detach-all [DOMAIN] [options]\n"
	    "       bbvirt release|reclaim [options]\n"
	    "       bbvirt restore-filter [DOMAIN] [options] <XML\n"
	    "\n"
	    "Keep USB devices, named by serial number, attached to the libvirt\n"
	    "guests the config assigns them to.\n"
	    "\n"
	    "Commands:\n"
	    "  sync [DOMAIN...]     attach what is missing and detach what is stale,\n"
	    "                       for every guest or only these\n"
	    "  status               show each device, its assignment and where it is\n"
	    "  config               check the config and show the assignment\n"
	    "  attach DEVICE        attach one device to its domain (or -D DOMAIN)\n"
	    "  detach DEVICE        detach one device from the guest holding it\n"
	    "  attach-all [DOMAIN]  attach every device assigned to DOMAIN (or to all)\n"
	    "  detach-all [DOMAIN]  detach every device assigned to DOMAIN from it (or all)\n"
	    "  release              detach every device bbvirt attached, from every guest,\n"
	    "                       and attach nothing until reclaim (host shutdown)\n"
	    "  reclaim              end the hold of release, then sync\n"
	    "  restore-filter [DOMAIN]\n"
	    "                       read a restored or migrated domain's XML on stdin and\n"
	    "                       print it with bbvirt's hostdevs at their devices'\n"
	    "                       current addresses (nothing: leave it as it is)\n"
	    "\n"
	    "DEVICE is a serial number, a logical address BUS:DEV or a physical\n"
	    "address BUS-PORT[.PORT...]. A device lent with attach -D stays where\n"
	    "it was lent until it is unplugged; a configured device detached by\n"
	    "hand comes back at the next sync, since the config is the truth.\n"
	    "\n"
	    "Options:\n"
	    "  -C, --config=FILE    config file; a bare NAME means %s/NAME.conf\n"
	    "                       (default %s)\n"
	    "  -c, --connect=URI    libvirt URI, overriding the config's\n"
	    "  -D, --domain=NAME    the domain to attach to or detach from, or of *-all\n"
	    "                       and sync (a libvirt name or config key)\n"
	    "  -b, --busnum=NUM     the device's USB bus number, as udev gives it\n"
	    "  -d, --devnum=NUM     the device's USB device number (looked up if not given)\n"
	    "  -n, --dry-run        show the plan and change nothing (exit 3: changes pending)\n"
	    "  -v, --verbose        say more; repeat for debug output\n"
	    "      --json           print the plan, status or config as JSON\n"
	    "      --syslog         log to syslog as well as to stderr\n"
	    "      --timeout=SECS   give up after SECS seconds (default %d)\n"
	    "      --version        show the version\n"
	    "  -?, -h, --help       show this help\n"
	    "\n"
	    "Exit status: 0 success, 1 runtime failure, 2 usage or config error,\n"
	    "3 changes pending (with --dry-run). See bbvirt(1).\n",
	    CONF_DIR, CONF_DEFAULT_PATH, DEFAULT_TIMEOUT);
}

enum { ARG_JSON = 0x100, ARG_TIMEOUT };

static const struct option options[] = {
	STARTUP_OPTIONS,
	{ "connect", required_argument, NULL, 'c' },
	{ "domain", required_argument, NULL, 'D' },
	{ "busnum", required_argument, NULL, 'b' },
	{ "devnum", required_argument, NULL, 'd' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "json", no_argument, NULL, ARG_JSON },
	{ "timeout", required_argument, NULL, ARG_TIMEOUT },
	{ NULL, 0, NULL, 0 },
};

static int
take_option(int c, const char *value)
{
	struct command_line *cl = &arg.line;

	switch (c) {
	case 'c':
		cl->connect = value;
		return 0;
	case 'D':
		cl->domain = value;
		return 0;
	case 'b':
		return startup_number("--busnum", value, DEVSPEC_BUS_MAX, &cl->bus);
	case 'd':
		return startup_number("--devnum", value, DEVSPEC_DEV_MAX, &cl->dev);
	case 'n':
		cl->dry_run = true;
		return 0;
	case ARG_JSON:
		arg.json = true;
		return 0;
	case ARG_TIMEOUT:
		return startup_number("--timeout", value, 86400, &arg.timeout);
	default:
		return -EINVAL;
	}
}

/* The commands: how many words each takes, and the verb that runs it. */
static const struct verb {
	unsigned min_args;
	unsigned max_args;
	const char *arg_name;           /* for a usage error */
	int (*run)(const struct cli_args *a, struct outcome *o);
} verbs[_COMMAND_MAX] = {
	[COMMAND_SYNC] = { 0, UINT_MAX, "DOMAIN", verb_sync },
	[COMMAND_STATUS] = { 0, 0, NULL, verb_status },
	[COMMAND_CONFIG] = { 0, 0, NULL, verb_config },
	[COMMAND_ATTACH] = { 1, 1, "DEVICE", verb_device },
	[COMMAND_DETACH] = { 1, 1, "DEVICE", verb_device },
	[COMMAND_ATTACH_ALL] = { 0, 1, "DOMAIN", verb_device },
	[COMMAND_DETACH_ALL] = { 0, 1, "DOMAIN", verb_device },
	[COMMAND_RELEASE] = { 0, 0, NULL, verb_release },
	[COMMAND_RECLAIM] = { 0, 0, NULL, verb_sync },
	[COMMAND_RESTORE_FILTER] = { 0, 1, "DOMAIN", verb_restore_filter },
};

/*
 * The original's remove rule passes $env{ID_SERIAL_SHORT}, which udev 252
 * no longer has once the device is gone: the word vanishes, and -b and -d
 * are all that is left of the device, as BUS:DEV.
 */
static void
complete_udev_form(struct command_line *cl)
{
	static char addr[sizeof("4294967295:4294967295")];
	static char *addr_arg[] = { addr, NULL };

	if ((cl->command == COMMAND_ATTACH || cl->command == COMMAND_DETACH) &&
	    cl->n_args == 0 && cl->bus != 0 && cl->dev != 0) {
		(void)snprintf(addr, sizeof(addr), "%u:%u", cl->bus, cl->dev);
		cl->args = addr_arg;
		cl->n_args = 1;
	}
}

/* The words after the command, counted against its verb. */
static int
check_words(const struct command_line *cl)
{
	const struct verb *v = &verbs[cl->command];
	const char *name = command_to_string(cl->command);

	if (cl->n_args >= v->min_args && cl->n_args <= v->max_args)
		return 0;
	if (v->max_args == 0)
		return startup_usage_error("'%s' takes no arguments", name);
	if (v->min_args == v->max_args)
		return startup_usage_error("'%s' takes one %s", name, v->arg_name);
	return startup_usage_error("'%s' takes at most one %s", name,
	    v->arg_name);
}

/* The options that go with the command, and those that do not. */
static int
check_options(struct command_line *cl)
{
	enum command c = cl->command;
	const char *name = command_to_string(c);

	/* -b alone is completed from the device; -d alone names nothing. */
	if (cl->dev != 0 && cl->bus == 0)
		return startup_usage_error("--devnum needs --busnum");
	if (cl->bus != 0 && c != COMMAND_ATTACH && c != COMMAND_DETACH)
		return startup_usage_error("--busnum and --devnum go with attach and detach");
	/* The filter reads no libvirt, changes nothing, and prints XML alone. */
	if (c == COMMAND_RESTORE_FILTER &&
	    (cl->connect != NULL || cl->dry_run || arg.json))
		return startup_usage_error("--connect, --dry-run and --json do not go with 'restore-filter'");
	if (cl->domain != NULL && (c == COMMAND_STATUS || c == COMMAND_CONFIG ||
	    c == COMMAND_RELEASE || c == COMMAND_RECLAIM))
		return startup_usage_error("--domain does not go with '%s'", name);
	/* attach-all -D DOMAIN is attach-all DOMAIN, as the original took it. */
	if (cl->domain != NULL && (c == COMMAND_ATTACH_ALL ||
	    c == COMMAND_DETACH_ALL || c == COMMAND_RESTORE_FILTER)) {
		if (cl->n_args == 1 && strcmp(cl->args[0], cl->domain) != 0)
			return startup_usage_error("'%s' names two domains, '%s' and '%s'",
			    name, cl->args[0], cl->domain);
		cl->args = (char *const *)&cl->domain;
		cl->n_args = 1;
	}
	return 0;
}

/* Returns 1 to run, 0 to exit successfully (help, version), or -EINVAL (logged). */
static int
parse_argv(int argc, char *argv[])
{
	static const struct startup_options o = {
		.shortopts = ":C:c:D:b:d:nvh?", .options = options,
		.args = &arg.common, .help = help, .take = take_option,
	};
	struct command_line *cl = &arg.line;
	int r;

	r = startup_parse(&o, argc, argv);
	if (r <= 0)
		return r;
	if (optind >= argc)
		return startup_usage_error("no command given");
	r = command_from_string(argv[optind]);
	if (r < 0)
		return startup_usage_error("unknown command '%s'", argv[optind]);
	cl->command = r;
	cl->args = argv + optind + 1;
	cl->n_args = argc - optind - 1;
	complete_udev_form(cl);
	r = check_words(cl);
	if (r < 0)
		return r;
	r = check_options(cl);
	return r < 0 ? r : 1;
}

/* Exit statuses are chosen here alone, from what the run found. */
int
outcome_exit_status(int r, const struct outcome *o)
{
	if (o->usage)
		return EXIT_USAGE;
	if (r < 0 || o->failed)
		return EXIT_RUNTIME;
	return o->pending ? EXIT_PENDING : EXIT_OK;
}

int
main(int argc, char *argv[])
{
	struct outcome o = { 0 };
	int r;

	startup_init("bbvirt");
	r = parse_argv(argc, argv);
	if (r <= 0)
		return r < 0 ? EXIT_USAGE : EXIT_OK;
	/* --dry-run shows its reasoning, as the original's did. */
	startup_logging(&arg.common, arg.line.dry_run);
	/* The restore filter never reaches libvirt, not even its library. */
	if (arg.line.command != COMMAND_RESTORE_FILTER)
		virtconn_init();
	r = verbs[arg.line.command].run(&arg, &o);
	return outcome_exit_status(r, &o);
}
