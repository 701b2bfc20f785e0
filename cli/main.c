#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alias.h"
#include "apply.h"
#include "conf.h"
#include "devspec.h"
#include "domxml.h"
#include "log.h"
#include "plan.h"
#include "report.h"
#include "restore.h"
#include "status.h"
#include "udevsnap.h"
#include "util.h"
#include "virtconn.h"
#include "virtsnap.h"


enum action {
	ACTION_SYNC,
	ACTION_STATUS,
	ACTION_CONFIG,
	ACTION_ATTACH,
	ACTION_DETACH,
	ACTION_ATTACH_ALL,
	ACTION_DETACH_ALL,
	ACTION_RELEASE,
	ACTION_RECLAIM,
	ACTION_RESTORE_FILTER,
	_ACTION_MAX,
};

static const char *const action_names[_ACTION_MAX] = {
	[ACTION_SYNC] = "sync",
	[ACTION_STATUS] = "status",
	[ACTION_CONFIG] = "config",
	[ACTION_ATTACH] = "attach",
	[ACTION_DETACH] = "detach",
	[ACTION_ATTACH_ALL] = "attach-all",
	[ACTION_DETACH_ALL] = "detach-all",
	[ACTION_RELEASE] = "release",
	[ACTION_RECLAIM] = "reclaim",
	[ACTION_RESTORE_FILTER] = "restore-filter",
};

#define DEFAULT_LOCK "/run/bbvirt/lock"
/* Beside the lock: while it exists, bbvirt release holds and nothing is attached. */
#define HOLD_NAME "released"
#define DEFAULT_TIMEOUT 30

static const char *arg_config = CONF_DEFAULT_PATH;
static const char *arg_connect;
static const char *arg_domain;
static unsigned arg_busnum;
static unsigned arg_devnum;
static bool arg_dry_run;
static int arg_verbose;
static bool arg_syslog;
static bool arg_json;
static unsigned arg_timeout = DEFAULT_TIMEOUT;
static enum action arg_action;
static char **arg_args;         /* the words after the action */
static int arg_n_args;

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

static int
usage_error(const char *fmt, ...) _printf_(1, 2);

static int
usage_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("%s", msg);
	fprintf(stderr, "Try 'bbvirt --help'.\n");
	return -EINVAL;
}

static int
parse_number_arg(const char *opt, const char *s, unsigned max, unsigned *ret)
{
	unsigned long long v;

	if (parse_uint(s, 10, 1, max, &v) < 0)
		return usage_error("%s expects a number from 1 to %u, got '%s'",
		    opt, max, s);
	*ret = v;
	return 0;
}

static int
parse_argv(int argc, char *argv[])
{
	enum { ARG_SYSLOG = 0x100, ARG_JSON, ARG_TIMEOUT, ARG_VERSION };
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'C' },
		{ "connect", required_argument, NULL, 'c' },
		{ "domain", required_argument, NULL, 'D' },
		{ "busnum", required_argument, NULL, 'b' },
		{ "devnum", required_argument, NULL, 'd' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "syslog", no_argument, NULL, ARG_SYSLOG },
		{ "json", no_argument, NULL, ARG_JSON },
		{ "timeout", required_argument, NULL, ARG_TIMEOUT },
		{ "version", no_argument, NULL, ARG_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	int r;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":C:c:D:b:d:nvh?", options,
	    NULL)) >= 0) {
		switch (c) {
		case 'C':
			arg_config = optarg;
			break;
		case 'c':
			arg_connect = optarg;
			break;
		case 'D':
			arg_domain = optarg;
			break;
		case 'b':
			r = parse_number_arg("--busnum", optarg,
			    DEVSPEC_BUS_MAX, &arg_busnum);
			if (r < 0)
				return r;
			break;
		case 'd':
			r = parse_number_arg("--devnum", optarg,
			    DEVSPEC_DEV_MAX, &arg_devnum);
			if (r < 0)
				return r;
			break;
		case 'n':
			arg_dry_run = true;
			break;
		case 'v':
			arg_verbose++;
			break;
		case ARG_SYSLOG:
			arg_syslog = true;
			break;
		case ARG_JSON:
			arg_json = true;
			break;
		case ARG_TIMEOUT:
			r = parse_number_arg("--timeout", optarg, 86400,
			    &arg_timeout);
			if (r < 0)
				return r;
			break;
		case ARG_VERSION:
			printf("bbvirt %s\n", BBVIRT_VERSION);
			return 0;
		case 'h':
			help();
			return 0;
		case ':':
			return usage_error("option '%s' needs a value",
			    argv[optind - 1]);
		case '?':
			/* getopt reports both -? and an unknown option as '?'. */
			if (optopt == 0 && strncmp(argv[optind - 1], "--", 2) != 0) {
				help();
				return 0;
			}
			if (optopt != 0)
				return usage_error("unknown option '-%c'", optopt);
			return usage_error("unknown option '%s'",
			    argv[optind - 1]);
		default:
			return -EINVAL;
		}
	}
	if (optind >= argc)
		return usage_error("no command given");
	for (c = 0; c < _ACTION_MAX; c++)
		if (strcmp(argv[optind], action_names[c]) == 0)
			break;
	if (c == _ACTION_MAX)
		return usage_error("unknown command '%s'", argv[optind]);
	arg_action = c;
	arg_args = argv + optind + 1;
	arg_n_args = argc - optind - 1;

	switch (arg_action) {
	case ACTION_ATTACH:
	case ACTION_DETACH:
		/*
		 * The original's remove rule passes $env{ID_SERIAL_SHORT}, which
		 * udev 252 no longer has once the device is gone: the word
		 * vanishes, and -b and -d are all that is left of the device.
		 */
		if (arg_n_args == 0 && arg_busnum != 0 && arg_devnum != 0) {
			static char addr[sizeof("4294967295:4294967295")];
			static char *addr_arg[] = { addr, NULL };

			snprintf(addr, sizeof(addr), "%u:%u", arg_busnum,
			    arg_devnum);
			arg_args = addr_arg;
			arg_n_args = 1;
		}
		if (arg_n_args != 1)
			return usage_error("'%s' takes one DEVICE",
			    action_names[arg_action]);
		break;
	case ACTION_ATTACH_ALL:
	case ACTION_DETACH_ALL:
	case ACTION_RESTORE_FILTER:
		if (arg_n_args > 1)
			return usage_error("'%s' takes at most one DOMAIN",
			    action_names[arg_action]);
		break;
	case ACTION_STATUS:
	case ACTION_CONFIG:
	case ACTION_RELEASE:
	case ACTION_RECLAIM:
		if (arg_n_args > 0)
			return usage_error("'%s' takes no arguments",
			    action_names[arg_action]);
		break;
	default:
		break;
	}
	/* -b alone is completed from the device; -d alone names nothing. */
	if (arg_devnum != 0 && arg_busnum == 0)
		return usage_error("--devnum needs --busnum");
	if (arg_busnum != 0 && arg_action != ACTION_ATTACH &&
	    arg_action != ACTION_DETACH)
		return usage_error("--busnum and --devnum go with attach and detach");
	/* The filter reads no libvirt, changes nothing, and prints XML alone. */
	if (arg_action == ACTION_RESTORE_FILTER &&
	    (arg_connect != NULL || arg_dry_run || arg_json))
		return usage_error("--connect, --dry-run and --json do not go with 'restore-filter'");
	if (arg_domain != NULL &&
	    (arg_action == ACTION_STATUS || arg_action == ACTION_CONFIG ||
	    arg_action == ACTION_RELEASE || arg_action == ACTION_RECLAIM))
		return usage_error("--domain does not go with '%s'",
		    action_names[arg_action]);
	/* attach-all -D DOMAIN is attach-all DOMAIN, as the original took it. */
	if (arg_domain != NULL && (arg_action == ACTION_ATTACH_ALL ||
	    arg_action == ACTION_DETACH_ALL ||
	    arg_action == ACTION_RESTORE_FILTER)) {
		if (arg_n_args == 1 && strcmp(arg_args[0], arg_domain) != 0)
			return usage_error("'%s' names two domains, '%s' and '%s'",
			    action_names[arg_action], arg_args[0], arg_domain);
		arg_args = (char **)&arg_domain;
		arg_n_args = 1;
	}
	return 1;
}

/* A run never outlives its --timeout, even inside a libvirt call that hangs. */
static _Atomic(const char *) watchdog_phase = "starting";

/*
 * The main thread may be blocked inside stdio (a stdout pipe nobody reads),
 * syslog(3) or libvirt, holding their locks: the watchdog touches none of
 * them. It formats on its stack, write(2)s and _exit()s; output still in
 * stdout's buffer is lost, as it must be.
 */
static void *
watchdog(void *p _unused_)
{
	struct timespec ts = { .tv_sec = arg_timeout };
	char secs[16];
	size_t n = sizeof(secs) - 1;
	unsigned v = arg_timeout;

	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
		;
	secs[n] = '\0';
	do {
		secs[--n] = '0' + v % 10;
		v /= 10;
	} while (v > 0 && n > 0);
	log_emergency_write((const char *const[]){ "timed out after ",
	    secs + n, " s ", atomic_load(&watchdog_phase), NULL });
	_exit(EXIT_RUNTIME);
	return NULL;
}

static int
watchdog_start(void)
{
	pthread_t t;
	sigset_t all;
	sigset_t old;
	int r;

	/* The thread takes no signals: they stay the main thread's. */
	(void)sigfillset(&all);
	(void)pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&t, NULL, watchdog, NULL);
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0)
		return log_error_errno(-r, "cannot start the watchdog: %s",
		    strerror(r));
	(void)pthread_detach(t);
	return 0;
}

/* Serialises changing runs; the descriptor stays open until exit. */
static int lock_fd = -1;

static const char *
lock_path(void)
{
	const char *path = getenv("BBVIRT_LOCK");

	return path != NULL && path[0] != '\0' ? path : DEFAULT_LOCK;
}

static int
take_lock(void)
{
	const char *path = lock_path();
	char dir[4096];
	_cleanup_close_ int fd = -1;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return log_error_errno(-ENAMETOOLONG, "lock path too long");
	if (mkdir(dirname(dir), 0755) < 0 && errno != EEXIST)
		return log_error_errno(-errno, "cannot create '%s': %s", dir,
		    strerror(errno));
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0)
		return log_error_errno(-errno, "cannot open lock '%s': %s",
		    path, strerror(errno));
	atomic_store(&watchdog_phase, "waiting for another bbvirt to finish");
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return log_error_errno(-errno, "cannot lock '%s': %s",
			    path, strerror(errno));
	lock_fd = TAKE_FD(fd);
	return 0;
}

/* The hold's file, in the lock's directory. */
static int
hold_path(char *buf, size_t n)
{
	char dir[4096];

	if (snprintf(dir, sizeof(dir), "%s", lock_path()) >= (int)sizeof(dir) ||
	    snprintf(buf, n, "%s/" HOLD_NAME, dirname(dir)) >= (int)n)
		return log_error_errno(-ENAMETOOLONG, "lock path too long");
	return 0;
}

/*
 * Whether bbvirt release holds; if so, since when, as local time in
 * since. Returns 1, 0, or -errno.
 */
static int
read_hold(char *since, size_t n)
{
	char path[4096];
	struct stat st;
	struct tm tm;
	int r;

	r = hold_path(path, sizeof(path));
	if (r < 0)
		return r;
	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return log_error_errno(-errno, "cannot read '%s': %s", path,
		    strerror(errno));
	}
	if (localtime_r(&st.st_mtime, &tm) == NULL ||
	    strftime(since, n, "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
		(void)snprintf(since, n, "@%lld", (long long)st.st_mtime);
	return 1;
}

/*
 * Starts the hold, under the lock, before anything is detached: the udev
 * event each detach causes then finds it. A hold already in place keeps
 * its time.
 */
static int
set_hold(void)
{
	static const char text[] = "bbvirt release holds: nothing is attached until 'bbvirt reclaim'\n";
	char path[4096];
	_cleanup_close_ int fd = -1;
	int r;

	r = hold_path(path, sizeof(path));
	if (r < 0)
		return r;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY,
	    0644);
	if (fd < 0 && errno == EEXIST)
		return 0;
	if (fd < 0)
		return log_error_errno(-errno, "cannot create '%s': %s", path,
		    strerror(errno));
	if (write(fd, text, sizeof(text) - 1) != (ssize_t)sizeof(text) - 1)
		return log_error_errno(-EIO, "cannot write '%s'", path);
	log_notice("released: nothing is attached until 'bbvirt reclaim'");
	return 0;
}

static int
end_hold(void)
{
	char path[4096];
	int r;

	r = hold_path(path, sizeof(path));
	if (r < 0)
		return r;
	if (unlink(path) < 0) {
		if (errno == ENOENT)
			return 0;
		return log_error_errno(-errno, "cannot remove '%s': %s", path,
		    strerror(errno));
	}
	log_notice("reclaimed: bbvirt attaches devices again");
	return 0;
}

/*
 * The udev forms, attach|detach SERIAL -b BUS [-d DEV]: an event for a
 * device that is assigned nowhere, whose domain does not run, or with no
 * config file at all, is no failure (udev would log one for each).
 */
static bool
event_form(void)
{
	return arg_busnum != 0 &&
	    (arg_action == ACTION_ATTACH || arg_action == ACTION_DETACH);
}

/* The results main() picks the exit status from (bbvirt(1), EXIT STATUS). */
struct outcome {
	bool failed;            /* something asked for could not be done */
	bool pending;           /* --dry-run: changes are pending */
};

/*
 * libvirt's default URI is looked at only when something refers to it: a
 * domain without a URI, a domain named on the command line that the
 * config does not know, or an empty config (to show what holds devices).
 */
static bool
default_wanted(const struct conf *conf)
{
	if (conf->n_domains == 0)
		return true;
	for (int i = 0; arg_action == ACTION_SYNC && i < arg_n_args; i++)
		if (conf_find_domain(conf, arg_args[i]) == NULL)
			return true;
	if (arg_domain != NULL && conf_find_domain(conf, arg_domain) == NULL)
		return true;
	return false;
}

/* Every URI a run must look at, in config order: a NULL entry is the default. */
static int
collect_uris(const struct conf *conf, struct strv *uris, bool *with_default)
{
	const char *def = arg_connect != NULL ? arg_connect : conf->uri;
	int r;

	*with_default = def == NULL && default_wanted(conf);
	if (def != NULL && (r = strv_push(uris, def)) < 0)
		return r;
	for (size_t i = 0; i < conf->n_domains; i++) {
		const char *u = conf_domain_uri(conf, &conf->domains[i],
		    arg_connect);

		if (u == NULL)
			*with_default = true;
		else if (!strv_contains(uris, u) && (r = strv_push(uris, u)) < 0)
			return r;
	}
	return 0;
}

static bool
assigns_anything(const struct conf *conf)
{
	return conf_assigns(conf);
}

struct world {
	struct conf conf;
	struct udevsnap devices;
	struct virtconns conns;
	struct virtsnap guests;
	struct plan_input in;
	struct plan_request one;        /* the one-device and *-all commands' request */
	bool unreachable;               /* some URI did not answer */
};

static void
world_done(struct world *w)
{
	virtsnap_done(&w->guests);
	virtconns_done(&w->conns);
	udevsnap_done(&w->devices);
	conf_done(&w->conf);
}

/* One warning per run for each configured domain on another host. */
static void
warn_remote(const struct world *w)
{
	for (size_t i = 0; i < w->conf.n_domains; i++) {
		const struct conf_domain *cd = &w->conf.domains[i];
		const char *uri = virtconns_uri(&w->conns,
		    conf_domain_uri(&w->conf, cd, arg_connect));
		const struct virtconn *vc = virtconns_find(&w->conns, uri);

		if (vc != NULL && vc->remote)
			log_warning("domain '%s' on %s is on another host ('%s'): USB devices are local, so its devices are left alone",
			    cd->name, virtconn_uri_name(uri),
			    vc->host != NULL ? vc->host : "unknown");
	}
}

/*
 * Reads the guests, unless nothing could need them. A sync with nothing
 * assigned contacts no libvirt daemon: it can change nothing, since bbvirt
 * touches only what the config asks for. Returns 0, 1 when the run has
 * nothing to ask libvirt and is over, or -errno.
 */
static int
snapshot_guests(struct world *w, bool read_only)
{
	_cleanup_(strv_done) struct strv uris = { 0 };
	_cleanup_free_ const char **v = NULL;
	const char *one_uri = NULL;
	bool with_default;
	size_t n_managed = 0;
	size_t n = 0;
	int r;

	/* release looks even so: its aliases are bbvirt's whatever the config says. */
	if ((arg_action == ACTION_SYNC || arg_action == ACTION_RECLAIM ||
	    arg_action == ACTION_DETACH_ALL ||
	    arg_action == ACTION_ATTACH_ALL) && !assigns_anything(&w->conf)) {
		log_info("%s assigns no device: nothing to do", w->conf.file);
		return 0;
	}
	/*
	 * A one-device command contacts its domain's URI alone: a hung daemon
	 * elsewhere must not stall a udev worker.
	 */
	if (w->in.n_requests == 1 && w->in.requests == &w->one &&
	    !w->one.all && plan_request_uri(&w->in, &w->one, &one_uri)) {
		with_default = one_uri == NULL;
		r = one_uri != NULL ? strv_push(&uris, one_uri) : 0;
	} else if (event_form() && w->one.serial == NULL) {
		/*
		 * A remove event without a serial: finding who held the device
		 * would mean asking every daemon from a udev worker. The sync
		 * that the same event queues (bbvirt's own rule) detaches it.
		 */
		log_info("no device at %s and no serial given: nothing to do "
		    "(a sync detaches what it left)", arg_args[0]);
		return 1;
	} else if (event_form()) {
		/* Its remove event: a device assigned nowhere has no domain to ask. */
		log_info("device '%s' is assigned to no domain: nothing to do",
		    w->one.serial);
		return 1;
	} else
		r = collect_uris(&w->conf, &uris, &with_default);
	if (r < 0)
		return log_error_errno(r, "out of memory");
	v = calloc(uris.n + 1, sizeof(*v));
	if (v == NULL)
		return log_error_errno(-ENOMEM, "out of memory");
	if (with_default)
		v[n++] = NULL;
	for (size_t i = 0; i < uris.n; i++)
		v[n++] = uris.v[i];
	atomic_store(&watchdog_phase, "waiting for libvirt");
	r = virtconns_open(v, n, read_only, &w->conns);
	if (r == -ENOMEM)
		return r;
	w->unreachable = r < 0;
	r = virtsnap_collect(&w->conns, plan_adoptable, &w->in, &w->guests);
	if (r == -ENOMEM)
		return r;
	w->unreachable = w->unreachable || r < 0;
	for (size_t i = 0; i < w->devices.n; i++)
		n_managed += w->devices.v[i].managed;
	log_info("snapshot: %zu managed devices, %zu domains, %lu libvirt calls",
	    n_managed, w->guests.n_domains, w->conns.calls);
	warn_remote(w);
	return 0;
}

/*
 * Logs a one-device command's refusal and returns what main() makes the
 * exit status of: -EINVAL for 2, another error for 1, 0 for a udev event
 * that asks for nothing (a device assigned nowhere, a domain that will get
 * it when it starts).
 */
static int
refuse(const struct plan_refusal *ref)
{
	switch (plan_refusal_classify(ref->kind, event_form())) {
	case PLAN_REFUSAL_QUIET:
		if (ref->kind == PLAN_REFUSE_DOMAIN_DOWN)
			log_info("%s: it gets the device when it starts",
			    ref->message);
		else
			log_info("%s: nothing to do", ref->message);
		return 0;
	case PLAN_REFUSAL_USAGE:
		if (ref->kind == PLAN_REFUSE_MALFORMED)
			return usage_error("%s", ref->message);
		log_error("%s", ref->message);
		return -EINVAL;
	default:
		log_error("%s", ref->message);
		return -EHOSTDOWN;
	}
}

static int
resolve_device(struct world *w)
{
	struct plan_device_arg arg = {
		.op = arg_action == ACTION_ATTACH ? PLAN_ATTACH : PLAN_DETACH,
		.device = arg_args[0], .domain = arg_domain,
		.bus = arg_busnum, .dev = arg_devnum,
	};
	struct plan_refusal ref = { 0 };
	int r;

	r = plan_resolve(&w->in, &arg, event_form(), &w->one, &ref);
	if (r == -ENOMEM)
		return log_error_errno(r, "out of memory");
	if (r == 1) {
		r = refuse(&ref);
		plan_refusal_done(&ref);
		return r < 0 ? r : 1;   /* 1: refused quietly, the run is over */
	}
	w->in.requests = &w->one;
	w->in.n_requests = 1;
	return 0;
}

static const struct conf_domain *
want_conf_domain(const struct conf *conf, const char *name)
{
	const struct conf_domain *cd = conf_find_domain(conf, name);

	if (cd == NULL)
		log_error("domain '%s' is not in %s", name, conf->file);
	return cd;
}

static void
requests_all(struct world *w)
{
	/* run() has checked that a named domain is in the config. */
	w->one = plan_request_all(arg_action == ACTION_ATTACH_ALL ?
	    PLAN_ATTACH : PLAN_DETACH, arg_n_args == 1 ? arg_args[0] : NULL);
	w->in.requests = &w->one;
	w->in.n_requests = 1;
}

static int
check_scope(const struct world *w, const struct strv *scope)
{
	for (size_t i = 0; i < scope->n; i++) {
		const char *name = scope->v[i];
		bool known = conf_find_domain(&w->conf, name) != NULL;

		for (size_t k = 0; !known && k < w->guests.n_domains; k++)
			known = strcmp(w->guests.domains[k].name, name) == 0;
		if (!known)
			return log_error_errno(-EINVAL,
			    "domain '%s' is neither in %s nor known to libvirt",
			    name, w->conf.file);
	}
	return 0;
}

/* -vv: the snapshots, as the planner is given them. */
static void
log_snapshot(const struct world *w)
{
	for (size_t i = 0; i < w->devices.n; i++) {
		const struct usbdev *d = &w->devices.v[i];

		log_debug("device %u:%u port %s %04x:%04x serial '%s'%s",
		    d->bus, d->dev, d->port, d->vendor, d->product,
		    d->serial != NULL ? d->serial : "", "");
	}
	for (size_t i = 0; i < w->guests.n_domains; i++) {
		const struct vdomain *vd = &w->guests.domains[i];

		log_debug("domain '%s' on %s: %s%s, %zu USB hostdevs", vd->name,
		    virtconn_uri_name(vd->uri),
		    vd->active ? "running" : "not running",
		    vd->remote ? ", another host" : "", vd->hostdevs.n);
		for (size_t j = 0; j < vd->hostdevs.n; j++) {
			const struct hostdev *hd = &vd->hostdevs.v[j];

			if (hd->has_address)
				log_debug("  hostdev %u:%u alias '%s'%s", hd->bus,
				    hd->dev, hd->alias != NULL ? hd->alias : "",
				    hd->live_only ? " (live only)" : "");
			else
				log_debug("  hostdev %04x:%04x alias '%s'",
				    hd->vendor, hd->product,
				    hd->alias != NULL ? hd->alias : "");
		}
	}
}

/* -vvv: the device-to-domain map the config gives. */
static void
log_map(const struct conf *conf)
{
	for (size_t i = 0; i < conf->n_domains; i++)
		for (size_t j = 0; j < conf->domains[i].n_serials; j++)
			log_debug("map: '%s' -> '%s' on %s",
			    conf->domains[i].serials[j].serial,
			    conf->domains[i].name,
			    virtconn_uri_name(conf_domain_uri(conf,
			    &conf->domains[i], arg_connect)));
}

/*
 * -v: the decisions the plan does not show, the devices left alone and
 * why; the actions themselves are in the plan (-n) or in the notices.
 */
static int
log_left_alone(const struct world *w)
{
	_cleanup_(status_freep) struct status *st = NULL;
	int r;

	if (log_get_max_level() < LOG_INFO)
		return 0;
	r = status_build(&w->in, &st);
	if (r < 0)
		return log_error_errno(r, "out of memory");
	for (size_t i = 0; i < st->n_devices; i++) {
		const struct status_device *d = &st->devices[i];
		/* A device without a serial is named by its port. */
		const char *name = d->serial != NULL ? d->serial : d->port;

		if (d->state == STATUS_FOREIGN && d->holder_alias == NULL)
			log_info("leaving '%s' (%u:%u) alone: '%s' holds it through a hostdev without alias, not bbvirt's",
			    name, d->bus, d->dev, d->attached);
		else if (d->state == STATUS_FOREIGN)
			log_info("leaving '%s' (%u:%u) alone: '%s' holds it through hostdev '%s', not bbvirt's",
			    name, d->bus, d->dev, d->attached, d->holder_alias);
		else if (d->state == STATUS_REMOTE)
			log_info("leaving '%s' alone: its domain '%s' is on another host",
			    name, d->assigned);
		else if (d->state == STATUS_SHARED && d->present)
			log_info("leaving '%s' (%u:%u) alone: its serial is on more than one device, which the rule at %s cannot tell apart",
			    name, d->bus, d->dev, d->rule_at[0]);
		else if (d->state == STATUS_AMBIGUOUS && d->rule_at[1] != NULL)
			log_info("leaving %u:%u (port %s) alone: the port rules at %s and %s name one connector",
			    d->bus, d->dev, d->port, d->rule_at[0], d->rule_at[1]);
		else if (d->state == STATUS_AMBIGUOUS)
			log_info("leaving %u:%u (port %s) alone: the port rule at %s names more than one device",
			    d->bus, d->dev, d->port, d->rule_at[0]);
		else if (d->state == STATUS_HUB)
			log_info("leaving %u:%u (port %s) alone: a hub, which the rule at %s does not pass through",
			    d->bus, d->dev, d->port, d->rule_at[0]);
	}
	return 0;
}

static int
run_plan(struct world *w, struct outcome *o)
{
	_cleanup_(plan_freep) struct plan *plan = NULL;
	bool one = arg_action == ACTION_ATTACH || arg_action == ACTION_DETACH;
	int failed;
	int r;

	if (log_get_max_level() >= LOG_DEBUG)
		log_snapshot(w);
	if (arg_verbose >= 3)
		log_map(&w->conf);
	r = plan_build(&w->in, &plan);
	if (r < 0)
		return log_error_errno(r, "out of memory");
	if ((arg_action == ACTION_SYNC || arg_action == ACTION_RECLAIM) &&
	    (r = log_left_alone(w)) < 0)
		return r;
	/* A one-device command asked for one thing: a refusal is its answer. */
	if (one && plan->n_refusals > 0)
		return refuse(&plan->refusals[0]);
	for (size_t i = 0; i < plan->n_refusals; i++)
		log_error("%s", plan->refusals[i].message);
	o->failed = plan->n_refusals > 0 || w->unreachable;
	if (arg_dry_run) {
		atomic_store(&watchdog_phase, "writing the plan");
		r = report_plan(stdout, plan, arg_json);
		if (r < 0)
			return r;
		if (plan->n == 0 && !o->failed)
			log_info("nothing to do");
		o->pending = plan->n > 0;
		return 0;
	}
	atomic_store(&watchdog_phase, "waiting for libvirt to attach or detach");
	failed = apply_plan(plan, &apply_libvirt_ops, &w->conns);
	if (failed < 0)
		return failed;
	log_debug("%lu libvirt calls in all", w->conns.calls);
	o->failed = o->failed || failed > 0;
	return arg_json ? report_plan(stdout, plan, true) : 0;
}

static int
read_config(const char *path, struct conf *conf)
{
	atomic_store(&watchdog_phase, "reading the config");
	/* Nor, for a udev event, is a host without the config it names. */
	return conf_load_or_none(path, event_form(), conf);
}

/*
 * While bbvirt release holds, nothing is attached: a sync, the udev forms
 * and the timer's runs do nothing, say why at -v and succeed; an attach
 * a human asks for fails. Returns 1 when the run is over, 0 to go on, or
 * an error for main().
 */
static int
held_off(const char *since)
{
	static const struct plan empty = { 0 };
	int r;

	switch (arg_action) {
	case ACTION_SYNC:
		log_info("released (held since %s): nothing is attached until 'bbvirt reclaim'",
		    since);
		if (arg_json || arg_dry_run) {
			r = report_plan(stdout, &empty, arg_json);
			if (r < 0)
				return r;
		}
		return 1;
	case ACTION_ATTACH:
		if (!event_form())
			return log_error_errno(-EHOSTDOWN, "released (held since %s): nothing is attached until 'bbvirt reclaim'",
			    since);
		log_info("released (held since %s): '%s' is not attached until 'bbvirt reclaim'",
		    since, arg_args[0]);
		return 1;
	case ACTION_ATTACH_ALL:
		return log_error_errno(-EHOSTDOWN, "released (held since %s): nothing is attached until 'bbvirt reclaim'",
		    since);
	default:
		return 0;
	}
}

/*
 * restore-filter: the qemu hook pipes the domain XML of a restore or an
 * incoming migration through it. It never takes the lock and never calls
 * libvirt: libvirt waits for the hook while holding the guest, and a sync
 * holding the lock may be waiting for libvirt. Whatever goes wrong, it
 * prints nothing, which libvirt takes as "unchanged".
 */
#define RESTORE_XML_MAX (64u << 20)

/* -v: each decision; a change also at the default level, as sync does. */
static void
log_decision(const char *domain, const struct hostdev_span *h,
    const struct restore_decision *d)
{
	char vis[VISIBLE_BUF];
	char what[VISIBLE_BUF + 16];
	const char *why = restore_reason_to_string(d->reason);
	const char *verb = d->change ? "parked at" : "stays parked at";
	const char *none = d->change ? ", where no device can be" : "";
	int level = d->change ? LOG_NOTICE : LOG_INFO;

	if (h->hd.alias != NULL)
		(void)snprintf(what, sizeof(what), "hostdev '%s'",
		    str_visible(h->hd.alias, strlen(h->hd.alias), vis,
		    sizeof(vis)));
	else
		(void)snprintf(what, sizeof(what), "a hostdev without alias");
	switch (d->verdict) {
	case RESTORE_KEEP:
		log_info("'%s': leaving %s as it is: it %s", domain, what, why);
		break;
	case RESTORE_READDRESS:
		if (d->change && d->source.has_id)
			log_notice("'%s': %s now names %u:%u (%04x:%04x): '%s' %s",
			    domain, what, d->source.bus, d->source.dev,
			    d->source.vendor, d->source.product, d->serial, why);
		else if (d->change)
			log_notice("'%s': %s now names %u:%u: '%s' %s", domain,
			    what, d->source.bus, d->source.dev, d->serial, why);
		else
			log_info("'%s': %s already names %u:%u: '%s' %s", domain,
			    what, d->source.bus, d->source.dev, d->serial, why);
		break;
	case RESTORE_BLOCK:
		/* Parking it would let QEMU hand the guest another device. */
		log_full(level, "'%s': %s %s %u:%u, not optional: '%s' %s, and the "
		    "guest has a USB hostdev not bbvirt's, which an empty port "
		    "could take: libvirt will refuse the start", domain, what,
		    d->change ? "blocked at" : "stays blocked at",
		    d->source.bus, d->source.dev, d->serial, why);
		break;
	case RESTORE_PARK:
		if (d->reason == RESTORE_ELSEWHERE)
			log_full(level, "'%s': %s %s %u:%u%s: '%s' is assigned to '%s'",
			    domain, what, verb, d->source.bus, d->source.dev,
			    none, d->serial, d->assigned);
		else
			log_full(level, "'%s': %s %s %u:%u%s: '%s' %s", domain,
			    what, verb, d->source.bus, d->source.dev, none,
			    d->serial, why);
		break;
	default:
		break;
	}
}

static int
run_restore_filter(void)
{
	_cleanup_free_ char *xml = NULL;
	_cleanup_free_ char *err = NULL;
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ char *out = NULL;
	_cleanup_(domxml_spans_done) struct domxml_spans doc = { 0 };
	_cleanup_(conf_done) struct conf conf = { 0 };
	_cleanup_(udevsnap_done) struct udevsnap devices = { 0 };
	_cleanup_(restore_plan_done) struct restore_plan p = { 0 };
	const char *domain = arg_n_args == 1 ? arg_args[0] : NULL;
	char name[VISIBLE_BUF];
	char since[64];
	size_t len;
	size_t n_out = 0;
	int held;
	int r;

	/* Bounded from the first byte read: libvirt waits for the hook. */
	r = watchdog_start();
	if (r < 0)
		return r;
	atomic_store(&watchdog_phase, "reading the domain XML");
	r = read_fd(STDIN_FILENO, 64u << 10, RESTORE_XML_MAX, &xml, &len);
	if (r == -EFBIG)
		return log_error_errno(-EIO, "the domain XML on stdin is over %u bytes; leaving it as it is",
		    RESTORE_XML_MAX);
	if (r < 0)
		return log_error_errno(r == -ENOMEM ? r : -EIO, "cannot read the domain XML on stdin: %s",
		    strerror(-r));
	/*
	 * libvirt writes aliases as plain text: a document in which no
	 * prefix of bbvirt's appears has no hostdev of bbvirt's, and costs no
	 * parse, no config and no udev.
	 */
	if (!alias_prefix_in(xml, len)) {
		log_debug("no alias of bbvirt's in the domain XML: nothing to do");
		return 0;
	}
	r = domxml_spans(xml, len, &doc, &err);
	if (r == -ENOMEM)
		return log_error_errno(r, "out of memory");
	if (r < 0)
		return log_error_errno(-EIO, "cannot read the domain XML on stdin: %s; leaving it as it is",
		    err);
	if (domain != NULL && !streq_null(doc.name, domain))
		return log_error_errno(-EIO, "the domain XML on stdin is not of '%s'; leaving it as it is",
		    str_visible(domain, strlen(domain), name, sizeof(name)));
	if (doc.name == NULL)
		return log_error_errno(-EIO, "the domain XML on stdin has no name; leaving it as it is");
	/* The name is the XML's: shown with its control characters escaped. */
	(void)str_visible(doc.name, strlen(doc.name), name, sizeof(name));
	if (!restore_any_owned(doc.v, doc.n)) {
		log_debug("'%s' has no hostdev of bbvirt's: nothing to do", name);
		return 0;
	}
	if (conf_path(arg_config, &path) < 0)
		return log_error_errno(-ENOMEM, "out of memory");
	atomic_store(&watchdog_phase, "reading the config");
	/* A missing config, whatever its path, assigns nothing here: park all. */
	r = conf_load_or_none(path, true, &conf);
	if (r < 0)      /* logged with its file and line */
		return r == -ENOMEM ? r : -EINVAL;
	atomic_store(&watchdog_phase, "reading USB devices");
	r = udevsnap_collect(conf.managed_ids, conf.n_managed_ids,
	    conf.n_by_port > 0 ? UDEVSNAP_PEERS : 0, &devices);
	if (r < 0)
		return r;
	if (log_get_max_level() >= LOG_DEBUG)
		for (size_t i = 0; i < devices.n; i++)
			log_debug("device %u:%u %04x:%04x serial '%s'%s",
			    devices.v[i].bus, devices.v[i].dev,
			    devices.v[i].vendor, devices.v[i].product,
			    devices.v[i].serial != NULL ? devices.v[i].serial :
			    "", "");
	/* While bbvirt release holds (the host going down), nothing is attached. */
	held = read_hold(since, sizeof(since));
	if (held < 0)
		return held;
	r = restore_decide(&conf, &devices, held > 0, doc.name, doc.v, doc.n,
	    &p);
	if (r < 0)
		return log_error_errno(r, "out of memory");
	for (size_t i = 0; i < p.n; i++)
		log_decision(name, &doc.v[i], &p.v[i]);
	if (p.n_changes == 0)
		return 0;
	atomic_store(&watchdog_phase, "rewriting the domain XML");
	r = restore_rewrite(xml, len, &doc, &p, &out, &n_out);
	if (r == -ENOMEM)
		return log_error_errno(r, "out of memory");
	if (r < 0)
		return log_error_errno(-EIO, "the rewritten domain XML does not read back as intended; leaving it as it is");
	atomic_store(&watchdog_phase, "writing the domain XML");
	if (fwrite(out, 1, n_out, stdout) != n_out || fflush(stdout) != 0)
		return log_error_errno(-EIO, "cannot write the domain XML: %s",
		    strerror(errno));
	return 0;
}

static int
run(struct outcome *o)
{
	_cleanup_(world_done) struct world w = { 0 };
	_cleanup_(strv_done) struct strv scope = { 0 };
	_cleanup_free_ char *path = NULL;
	bool changes = !arg_dry_run && arg_action != ACTION_STATUS;
	char since[64] = "";
	bool bad_config = false;
	int held = 0;
	int r;

	if (arg_action == ACTION_RESTORE_FILTER)
		return run_restore_filter();

	w.in = (struct plan_input){ .conf = &w.conf, .devices = &w.devices,
	    .guests = &w.guests, .uri_override = arg_connect };
	if (conf_path(arg_config, &path) < 0)
		return log_error_errno(-ENOMEM, "out of memory");
	/*
	 * A run that changes guests reads the config only once it holds the
	 * lock. flock() wakes waiters in no particular order: a run that read
	 * the config before an edit could otherwise get the lock after the run
	 * started for the edit, and put the old assignment back.
	 */
	if (arg_action != ACTION_CONFIG) {
		r = watchdog_start();
		if (r < 0)
			return r;
		if (changes && (r = take_lock()) < 0)
			return r;
		if (changes && arg_action == ACTION_RELEASE &&
		    (r = set_hold()) < 0)
			return r;
		if (arg_action != ACTION_RELEASE &&
		    arg_action != ACTION_RECLAIM &&
		    (held = read_hold(since, sizeof(since))) < 0)
			return held;
	}
	r = read_config(path, &w.conf);
	if (r == -ENOMEM)
		return r;
	/*
	 * A config error changes nothing, but for release, the shutdown's
	 * safety step: what bbvirt owns is its own whatever the config says,
	 * so it is released on the URIs known without the config.
	 */
	if (r < 0 && changes && arg_action == ACTION_RELEASE) {
		bad_config = true;
		conf_done(&w.conf);
		r = conf_parse(path, "", 0, &w.conf);
		if (r < 0)
			return r;
		log_warning("releasing what bbvirt owns on %s alone, as %s cannot be read",
		    arg_connect != NULL ? arg_connect : "libvirt's default URI",
		    path);
	} else if (r < 0)      /* logged with its file and line */
		return -EINVAL;
	if (arg_action == ACTION_CONFIG)
		return report_conf(stdout, &w.conf, arg_json);
	if (changes && arg_action == ACTION_RECLAIM && (r = end_hold()) < 0)
		return r;
	if (held > 0 && (r = held_off(since)) != 0)
		return r < 0 ? r : 0;
	if ((arg_action == ACTION_ATTACH_ALL ||
	    arg_action == ACTION_DETACH_ALL) && arg_n_args == 1 &&
	    want_conf_domain(&w.conf, arg_args[0]) == NULL)
		return -EINVAL;
	atomic_store(&watchdog_phase, "reading USB devices");
	r = udevsnap_collect(w.conf.managed_ids, w.conf.n_managed_ids,
	    arg_action == ACTION_STATUS ? UDEVSNAP_PEERS | UDEVSNAP_ALL_SERIALS :
	    w.conf.n_by_port > 0 ? UDEVSNAP_PEERS : 0, &w.devices);
	if (r < 0)
		return r;
	/* Before libvirt: a request refused needs no guest, and adoption reads it. */
	if (arg_action == ACTION_ATTACH || arg_action == ACTION_DETACH) {
		r = resolve_device(&w);
		if (r != 0)
			return r < 0 ? r : 0;
	}
	r = snapshot_guests(&w, !changes);
	if (r != 0)
		return r < 0 ? r : 0;   /* 1: nothing to ask libvirt */
	o->failed = w.unreachable;

	switch (arg_action) {
	case ACTION_STATUS: {
		_cleanup_(status_freep) struct status *st = NULL;

		r = status_build(&w.in, &st);
		if (r < 0)
			return log_error_errno(r, "out of memory");
		st->released = held > 0 ? since : NULL;
		return report_status(stdout, st, arg_json);
	}
	case ACTION_SYNC:
		/* sync -D DOMAIN is sync DOMAIN. */
		for (int i = 0; i < arg_n_args; i++)
			if ((r = strv_push(&scope, arg_args[i])) < 0)
				return log_error_errno(r, "out of memory");
		if (arg_domain != NULL && (r = strv_push(&scope, arg_domain)) < 0)
			return log_error_errno(r, "out of memory");
		r = check_scope(&w, &scope);
		if (r < 0)
			return r;
		w.in.only = (const char *const *)scope.v;
		w.in.n_only = scope.n;
		break;
	case ACTION_ATTACH:
	case ACTION_DETACH:
	case ACTION_RECLAIM:
		break;
	case ACTION_RELEASE:
		w.in.release = true;
		break;
	default:
		requests_all(&w);
		break;
	}
	r = run_plan(&w, o);
	/* release with a bad config: released what it could, and says so by exit 2. */
	return r < 0 || !bad_config ? r : -EINVAL;
}

int
main(int argc, char *argv[])
{
	struct outcome o = { 0 };
	int r;

	log_init("bbvirt");
	r = parse_argv(argc, argv);
	if (r <= 0)
		return r < 0 ? EXIT_USAGE : EXIT_OK;
	if (arg_syslog)
		log_open_syslog();
	/* --dry-run shows its reasoning, as the original's did. */
	log_set_verbosity(arg_verbose + arg_dry_run);
	/* The restore filter never reaches libvirt, not even its library. */
	if (arg_action != ACTION_RESTORE_FILTER)
		virtconn_init();
	r = run(&o);
	/* Exit statuses are chosen here alone, from what the run found. */
	if (r == -EINVAL)
		return EXIT_USAGE;
	if (r < 0 || o.failed)
		return EXIT_RUNTIME;
	return o.pending ? EXIT_PENDING : EXIT_OK;
}
