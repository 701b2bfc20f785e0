/*
 * bbvirt-event: the first stage of a sync that a udev event asks for.
 *
 * The udev rule runs for every USB device event and leaves one entry,
 * "ACTION@KERNEL", in the queue directory (/run/bbvirt/events);
 * bbvirt-event.path starts this program for it. It takes every entry out
 * of the queue, reads the config and, for each event, the one device now
 * at that kernel name, and leaves the sync request that bbvirt-sync.path
 * turns into a full 'bbvirt sync' only when the config may want something
 * of an event (see event_concerns()). Most USB events are of devices no
 * rule names: those cost this program's start, the config and one
 * device, and never libvirt, whose library alone costs more to load than
 * all of that. So it links neither libvirt nor libxml2.
 *
 * When in doubt it asks for the sync: a name it does not know, a device
 * it cannot read, a config it cannot parse (the sync then says why).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "event.h"
#include "log.h"
#include "startup.h"
#include "udevsnap.h"
#include "util.h"

#define DEFAULT_QUEUE "/run/bbvirt/events"
#define DEFAULT_REQUEST "/run/bbvirt/sync-requested"
/* More entries than a host makes between two runs; the rest wait for the next. */
#define QUEUE_MAX 4096

static struct startup_args arg_common = { .config = CONF_DEFAULT_PATH };
static const char *arg_queue = DEFAULT_QUEUE;
static const char *arg_request = DEFAULT_REQUEST;

static void
help(void)
{
	printf("Usage: bbvirt-event [options] [QUEUE]\n"
	    "\n"
	    "Take the USB device events the udev rule queued in QUEUE (default\n"
	    "%s) and ask for a bbvirt sync (by creating the request\n"
	    "file) when the config may want something of one of them.\n"
	    "\n"
	    "Options:\n"
	    "  -C, --config=FILE    config file; a bare NAME means %s/NAME.conf\n"
	    "                       (default %s)\n"
	    "  -r, --request=FILE   the sync request to create (default %s)\n"
	    "  -v, --verbose        say more; repeat for debug output\n"
	    "      --syslog         log to syslog as well as to stderr\n"
	    "      --version        show the version\n"
	    "  -?, -h, --help       show this help\n"
	    "\n"
	    "Exit status: 0 success, 1 runtime failure, 2 usage error. See bbvirt(1).\n",
	    DEFAULT_QUEUE, CONF_DIR, CONF_DEFAULT_PATH, DEFAULT_REQUEST);
}

static const struct option options[] = {
	STARTUP_OPTIONS,
	{ "request", required_argument, NULL, 'r' },
	{ NULL, 0, NULL, 0 },
};

static int
take_option(int c, const char *value)
{
	if (c != 'r')
		return -EINVAL;
	arg_request = value;
	return 0;
}

/* Returns 1 to run, 0 to exit successfully (--help), or -EINVAL. */
static int
parse_argv(int argc, char *argv[])
{
	static const struct startup_options o = {
		.shortopts = ":C:r:vh?", .options = options,
		.args = &arg_common, .help = help, .take = take_option,
	};
	int r;

	r = startup_parse(&o, argc, argv);
	if (r <= 0)
		return r;
	if (optind < argc)
		arg_queue = argv[optind++];
	if (optind < argc)
		return startup_usage_error("unexpected argument '%s'",
		    argv[optind]);
	return 1;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir)

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Removes one queue entry: a file, or a directory someone made there. */
static int
take_entry(int dfd, const char *name)
{
	if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if ((errno == EISDIR || errno == EPERM) &&
	    unlinkat(dfd, name, AT_REMOVEDIR) == 0)
		return 0;
	return -errno;
}

/*
 * Takes every entry out of the queue, their names sorted into *names. An
 * entry is removed before its device is read, so an event after that
 * leaves a new entry, and bbvirt-event.path starts this again. One that
 * cannot be removed is logged and still counted (its event may need a
 * sync), and the others are taken all the same. A missing queue is an
 * empty one. Returns 0, or -errno (logged) when the queue cannot be read
 * or an entry not removed.
 */
/*
 * Opens the queue: a directory itself, never a link to one (whose
 * entries would all be removed), and this user's, writable by no one
 * else. Returns 1 with *ret, 0 when there is none, or -errno (logged).
 */
static int
open_queue(DIR **ret)
{
	_cleanup_close_ int fd = open(arg_queue, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	DIR *d;

	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		return log_error_errno(-errno, "cannot open the event queue %s: %s",
		    arg_queue, errno == ELOOP || errno == ENOTDIR ?
		    "not a directory (a link is not followed)" : strerror(errno));
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid() ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return log_error_errno(-EPERM, "cannot take the event queue %s: it must be owned by uid %u and writable by no one else",
		    arg_queue, (unsigned)geteuid());
	d = fdopendir(fd);
	if (d == NULL)
		return log_error_errno(-errno, "cannot open the event queue %s: %s",
		    arg_queue, strerror(errno));
	(void)TAKE_FD(fd);      /* d owns it now */
	*ret = d;
	return 1;
}

static int
take_queue(struct strv *names)
{
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *e;
	int r;

	r = open_queue(&d);
	if (r <= 0)
		return r;
	r = 0;
	while (names->n < QUEUE_MAX && (errno = 0, e = readdir(d)) != NULL) {
		int k;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		k = take_entry(dirfd(d), e->d_name);
		if (k < 0)
			r = log_error_errno(k, "cannot take %s/%s from the queue: %s",
			    arg_queue, e->d_name, strerror(-k));
		if (strv_push(names, e->d_name) < 0)
			return log_oom();
	}
	if (names->n < QUEUE_MAX && errno != 0)
		return log_error_errno(-errno, "cannot read the event queue %s: %s",
		    arg_queue, strerror(errno));
	if (names->n > 0)
		qsort(names->v, names->n, sizeof(*names->v), cmp_str);
	return r;
}

/* As bbvirt sync reads it: the default config missing assigns nothing. */
static int
read_config(struct conf *conf)
{
	_cleanup_free_ char *path = NULL;

	if (conf_path(arg_common.config, &path) < 0)
		return log_oom();
	return conf_load_or_none(path, false, conf);
}

/*
 * What triage made of the queue: why a sync (EVENT_WHY_NONE: none), the
 * event it is for (NULL: all of them), and that event's device when one
 * was read there.
 */
struct verdict {
	enum event_why why;
	const char *name;
	const char *kernel;
	struct usbdev dev;
};

static void
verdict_done(struct verdict *v)
{
	usbdev_done(&v->dev);
}

/* Fills *v from the events in names. Returns 0 or -ENOMEM. */
static int
triage(const struct strv *names, struct verdict *v)
{
	_cleanup_(conf_done) struct conf conf = { 0 };
	int r;

	if (read_config(&conf) < 0) {
		v->why = EVENT_WHY_NO_CONFIG;
		return 0;
	}
	for (char **s = names->v; s < names->v + names->n; s++) {
		_cleanup_(usbdev_done) struct usbdev d = { 0 };
		enum event_action a;

		v->name = *s;
		if (event_name_parse(*s, &a, &v->kernel) < 0) {
			v->why = EVENT_WHY_UNKNOWN;
			v->kernel = NULL;
			return 0;
		}
		r = a == EVENT_REMOVE ? 0 : udevsnap_one(conf.managed_ids,
		    conf.n_managed_ids, v->kernel, &d);
		if (r < 0) {
			v->why = EVENT_WHY_UNREADABLE;
			return r == -ENOMEM ? r : 0;
		}
		v->why = event_why(&conf, a, r > 0 ? &d : NULL);
		if (v->why != EVENT_WHY_NONE) {
			v->dev = d;
			d = (struct usbdev){ 0 };
			return 0;
		}
		log_debug("event %s: %04x:%04x, no rule names it", *s, d.vendor,
		    d.product);
	}
	*v = (struct verdict){ .why = EVENT_WHY_NONE };
	return 0;
}

/* Why a sync, in the words of the log line. */
static const char *
verdict_words(enum event_why w)
{
	switch (w) {
	case EVENT_WHY_UNKNOWN:
		return "not an event bbvirt knows";
	case EVENT_WHY_UNREADABLE:
		return "the device cannot be read";
	case EVENT_WHY_NO_CONFIG:
		return "the config cannot be read (the sync says why)";
	default:
		return event_why_to_string(w);
	}
}

/*
 * The one line of triage, with the device the sync is for: a notice when
 * it asks for a sync, so that the journal's history of a device holds
 * the udev events that moved it (journalctl BBVIRT_SERIAL=); with -v
 * when it asks for none.
 */
static void
log_verdict(const struct strv *names, const struct verdict *v)
{
	const char *why = verdict_words(v->why);
	const char *s = names->n == 1 ? "" : "s";
	struct log_fields f = {
		.message_id = LOG_MESSAGE_EVENT_NONE, .action = "triage",
		.result = "no-sync",
	};

	if (v->why == EVENT_WHY_NONE) {
		log_struct(LOG_INFO, &f, "%zu event%s, none of a device the config names: no sync",
		    names->n, s);
		return;
	}
	f = (struct log_fields){
		.message_id = LOG_MESSAGE_EVENT_SYNC, .action = "triage",
		.result = "sync-requested",
		.reason = event_why_key_to_string(v->why), .event = v->name,
		.serial = v->dev.serial, .port = v->kernel, .bus = v->dev.bus,
		.dev = v->dev.dev, .vendor = v->dev.vendor,
		.product = v->dev.product,
	};
	if (v->name != NULL)
		log_struct(LOG_NOTICE, &f, "event %s: %s: sync requested",
		    v->name, why);
	else
		log_struct(LOG_NOTICE, &f, "%zu event%s: %s: sync requested",
		    names->n, s, why);
}

static int
request_sync(void)
{
	_cleanup_close_ int fd = open(arg_request,
	    O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644);

	if (fd < 0)
		return log_error_errno(-errno, "cannot request a sync (%s): %s",
		    arg_request, strerror(errno));
	return 0;
}

int
main(int argc, char *argv[])
{
	_cleanup_(strv_done) struct strv names = { 0 };
	_cleanup_(verdict_done) struct verdict v = { .why = EVENT_WHY_NONE };
	int r;

	startup_init("bbvirt-event");
	r = parse_argv(argc, argv);
	if (r <= 0)
		return r < 0 ? EXIT_USAGE : EXIT_OK;
	startup_logging(&arg_common, 0);
	r = take_queue(&names);
	if (r < 0) {
		/* What it could not take may need a sync; that run says more. */
		(void)request_sync();
		return EXIT_RUNTIME;
	}
	if (names.n == 0) {
		log_info("no event queued in %s", arg_queue);
		return EXIT_OK;
	}
	r = triage(&names, &v);
	if (r < 0) {
		(void)log_oom();
		(void)request_sync();
		return EXIT_RUNTIME;
	}
	log_verdict(&names, &v);
	if (v.why == EVENT_WHY_NONE)
		return EXIT_OK;
	return request_sync() < 0 ? EXIT_RUNTIME : EXIT_OK;
}
