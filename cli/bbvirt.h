#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "command.h"
#include "conf.h"
#include "plan.h"
#include "seedd.h"
#include "seeddclaim.h"
#include "startup.h"
#include "udevsnap.h"
#include "util.h"
#include "virtconn.h"
#include "virtsnap.h"

/* What bbvirt's command line asked for, shared by its verbs. */
struct cli_args {
	struct command_line line;
	struct startup_args common;     /* -C, -v, --syslog */
	unsigned timeout;               /* --timeout, seconds */
	bool json;
};

/* The results main() picks the exit status from (bbvirt(1), EXIT STATUS). */
struct outcome {
	bool usage;             /* the invocation or the config is wrong */
	bool failed;            /* something asked for could not be done */
	bool pending;           /* --dry-run: changes are pending */
};

/* The exit status of a run that returned r (0 or -errno) with *o. */
int outcome_exit_status(int r, const struct outcome *o);

/*
 * A verb runs one command. It returns 0 or -errno (logged), and records
 * in *o what main() makes the exit status of.
 */
int verb_sync(const struct cli_args *a, struct outcome *o);
int verb_status(const struct cli_args *a, struct outcome *o);
int verb_config(const struct cli_args *a, struct outcome *o);
int verb_device(const struct cli_args *a, struct outcome *o);
int verb_release(const struct cli_args *a, struct outcome *o);
int verb_restore_filter(const struct cli_args *a, struct outcome *o);

/*
 * The run of a command against this host: its config, the devices, the
 * guests and the planner's input, read in the order the verbs call the
 * session_*() steps. Each step returns 1 to go on, 0 when the run is over
 * (*o then says how it went), or -errno (logged), as parse_argv() does.
 */
struct session {
	const struct cli_args *a;
	struct conf conf;
	struct udevsnap devices;
	struct virtconns conns;
	struct virtsnap guests;
	struct plan_input in;
	struct plan_request one;        /* the one-device and *-all commands' request */
	struct strv scope;              /* sync DOMAIN... */
	char since[64];                 /* the hold's start, when one is in place */
	bool held;
	bool bad_config;                /* release: the config cannot be read */
	bool config_read;
	uint64_t start_usec;            /* CLOCK_MONOTONIC, when it took the lock */
	char *metrics;                  /* sync: where its metrics go, NULL: nowhere */
	struct plan *plan;              /* session_plan()'s, once built */
	struct status *status;          /* sync: the devices as its snapshot has them, when asked */
	struct plan *whole;             /* sync DOMAIN...: the whole host's plan, which status borrows from */
};

void session_done(struct session *s);

/*
 * Starts the run: the watchdog, the lock and release's hold for a run that
 * changes guests, the hold's state, the config (read under the lock: a run
 * that read it before an edit must not put the old assignment back), then
 * reclaim's end of the hold.
 */
int session_begin(struct session *s, const struct cli_args *a,
    struct outcome *o);
/* Ends the run here if a hold in place says so (command_hold()). */
int session_held(struct session *s, struct outcome *o);
int session_devices(struct session *s);
/* The planner's input (command_input()); a refused device ends the run. */
int session_input(struct session *s, struct outcome *o);
/* The guests, from the daemons command_libvirt() names. */
int session_guests(struct session *s, struct outcome *o);
/* The steps above, in that order: what every verb that looks at guests needs. */
int session_prepare(struct session *s, const struct cli_args *a,
    struct outcome *o);
/* Plans, then prints (--dry-run) or applies the plan. Returns 0 or -errno. */
int session_plan(struct session *s, struct outcome *o);
/*
 * A sync that holds the lock and has read its config: its metrics, to
 * s->metrics, whatever r (its result so far) and *o say. A failure to
 * write is logged once and changes nothing else.
 */
void session_metrics(struct session *s, int r, const struct outcome *o);

/*
 * Where a sync writes its metrics (bbvirt(1), Metrics): the config's
 * metrics = PATH, nowhere for "none", else bbvirt.prom in
 * $BBVIRT_METRICS_DIR (default /var/lib/prometheus/node-exporter) when
 * that directory exists. Silent. Returns 1 with *ret_path (the
 * caller's), 0 for nowhere, or -ENOMEM.
 */
int metrics_file_path(const struct conf *conf, char **ret_path);
/*
 * Writes len bytes of text to path atomically: a hidden temporary file
 * beside it, mode 0644 whatever the umask, renamed into place. Logs one
 * warning on failure. Returns 0 or -errno.
 */
int metrics_file_write(const char *path, const char *text, size_t len);

/* seedd's config on this host, and what its claim means for the config's. */
struct seedd_view {
	struct seedd_conf conf;
	struct seeddclaim claim;        /* borrows from conf */
};

void seedd_view_done(struct seedd_view *v);
/*
 * For config (in NULL) and status (in: the plugged-in devices): reads
 * seedd's config (bbvirt(1), seedd on the host) where conf's seedd-conf
 * says, else $BBVIRT_SEEDD_CONF or SEEDD_DEFAULT_PATH, and logs each
 * warning of seeddclaim_build(). One that cannot be read is a warning,
 * the default one missing an info line. Returns 1 with *ret (the
 * caller's), 0 when nothing was checked, or -ENOMEM (logged).
 */
int seedd_check(const struct conf *conf, const struct plan_input *in,
    struct seedd_view *ret);
