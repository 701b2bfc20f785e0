#include <errno.h>
#include <string.h>
#include <time.h>

#include "apply.h"
#include "bbvirt.h"
#include "log.h"
#include "metrics.h"
#include "report.h"
#include "runtime.h"
#include "startup.h"
#include "status.h"

static uint64_t
now_usec(clockid_t clock)
{
	struct timespec ts;

	(void)clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/*
 * The journal's fields of a refusal: why (a refusal kind's word, or
 * "released" while a hold lasts) and what it makes of the run.
 */
static struct log_fields
refusal_fields(const char *why, const char *result, const char *serial,
    const char *domain)
{
	return (struct log_fields){
		.message_id = LOG_MESSAGE_REFUSED, .action = "refused",
		.reason = why, .result = result, .serial = serial,
		.domain = domain,
	};
}

void
session_done(struct session *s)
{
	s->status = status_free(s->status);
	s->whole = plan_free(s->whole);
	s->plan = plan_free(s->plan);
	s->metrics = mfree(s->metrics);
	strv_done(&s->scope);
	virtsnap_done(&s->guests);
	virtconns_done(&s->conns);
	udevsnap_done(&s->devices);
	conf_done(&s->conf);
}

/*
 * A config error changes nothing, but for release, the shutdown's safety
 * step: what bbvirt owns is its own whatever the config says, so it is
 * released on the URIs known without the config.
 */
static int
read_config(struct session *s, const char *path, struct outcome *o)
{
	const struct command_line *cl = &s->a->line;
	int r;

	runtime_phase("reading the config");
	/* Nor, for a udev event, is a host without the config it names. */
	r = conf_load_or_none(path, command_is_event(cl), &s->conf);
	if (r >= 0)
		return 1;
	if (r == -ENOMEM)
		return r;
	if (!(cl->command == COMMAND_RELEASE && command_changes(cl))) {
		o->usage = true;        /* logged with its file and line */
		return r;
	}
	s->bad_config = true;
	conf_done(&s->conf);
	r = conf_parse(path, "", 0, &s->conf);
	if (r < 0)
		return r;
	log_warning("releasing what bbvirt owns on %s alone, as %s cannot be read",
	    cl->connect != NULL ? cl->connect : "libvirt's default URI", path);
	return 1;
}

int
session_begin(struct session *s, const struct cli_args *a, struct outcome *o)
{
	const struct command_line *cl = &a->line;
	_cleanup_free_ char *path = NULL;
	int r;

	s->a = a;
	s->in = (struct plan_input){ .conf = &s->conf, .devices = &s->devices,
	    .guests = &s->guests, .uri_override = cl->connect };
	if (conf_path(a->common.config, &path) < 0)
		return log_oom();
	r = runtime_watchdog(a->timeout);
	if (r < 0)
		return r;
	if (command_changes(cl)) {
		r = runtime_lock();
		if (r < 0)
			return r;
		s->start_usec = now_usec(CLOCK_MONOTONIC);
	}
	/* release holds before it detaches anything. */
	if (cl->command == COMMAND_RELEASE && command_changes(cl) &&
	    (r = runtime_hold_set()) < 0)
		return r;
	if (command_hold(cl) != COMMAND_HOLD_UNREAD) {
		r = runtime_hold_read(s->since, sizeof(s->since));
		if (r < 0)
			return r;
		s->held = r > 0;
	}
	r = read_config(s, path, o);
	if (r <= 0)
		return r;
	s->config_read = !s->bad_config;
	if (command_writes_metrics(cl) &&
	    metrics_file_path(&s->conf, &s->metrics) < 0)
		return log_oom();
	/* reclaim ends the hold, then syncs; a config in error changes nothing. */
	if (cl->command == COMMAND_RECLAIM && command_changes(cl)) {
		r = runtime_hold_end();
		s->held = r < 0;
		return r < 0 ? r : 1;
	}
	return 1;
}

/* While bbvirt release holds, nothing is attached. */
int
session_held(struct session *s, struct outcome *o)
{
	static const struct plan empty = { 0 };
	const struct cli_args *a = s->a;
	struct log_fields f = refusal_fields("released", "nothing-to-do", NULL,
	    NULL);
	int r;

	if (!s->held)
		return 1;
	switch (command_hold(&a->line)) {
	case COMMAND_HOLD_QUIET:
		if (a->line.command != COMMAND_SYNC) {
			log_struct(LOG_INFO, &f, "released (held since %s): '%s' is not attached until 'bbvirt reclaim'",
			    s->since, a->line.args[0]);
			return 0;
		}
		log_info("released (held since %s): nothing is attached until 'bbvirt reclaim'",
		    s->since);
		if (a->json || a->line.dry_run) {
			r = report_plan(stdout, &empty, a->json);
			if (r < 0)
				return r;
		}
		return 0;
	case COMMAND_HOLD_REFUSED:
		f.result = "failed";
		log_struct(LOG_ERR, &f, "released (held since %s): nothing is attached until 'bbvirt reclaim'",
		    s->since);
		o->failed = true;
		return 0;
	default:
		return 1;
	}
}

int
session_devices(struct session *s)
{
	const struct conf *conf = &s->conf;
	unsigned flags = conf->n_by_port > 0 ? UDEVSNAP_PEERS : 0;
	int r;

	/*
	 * status shows every device, those of serials no rule names too; so
	 * do a sync's metrics, which count what status shows.
	 */
	if (s->a->line.command == COMMAND_STATUS)
		flags = UDEVSNAP_PEERS | UDEVSNAP_ALL_SERIALS;
	if (s->metrics != NULL)
		flags |= UDEVSNAP_ALL_SERIALS;
	runtime_phase("reading USB devices");
	r = udevsnap_collect(conf->managed_ids, conf->n_managed_ids, flags,
	    &s->devices);
	return r < 0 ? r : 1;
}

/*
 * Logs a one-device command's refusal, and records what it makes of the
 * run: nothing for a udev event that asks for nothing (a device assigned
 * nowhere, a domain that gets it when it starts), else a usage error or
 * a failure.
 */
static void
refuse(const struct session *s, const struct plan_refusal *ref,
    struct outcome *o)
{
	const char *why = plan_refusal_kind_to_string(ref->kind);
	struct log_fields f = refusal_fields(why, "nothing-to-do", ref->serial,
	    ref->domain);

	switch (plan_refusal_classify(ref->kind, command_is_event(&s->a->line))) {
	case PLAN_REFUSAL_QUIET:
		if (ref->kind == PLAN_REFUSE_DOMAIN_DOWN)
			log_struct(LOG_INFO, &f, "%s: it gets the device when it starts",
			    ref->message);
		else if (ref->kind == PLAN_REFUSE_BUSY)
			log_struct(LOG_INFO, &f, "%s", ref->message);
		else
			log_struct(LOG_INFO, &f, "%s: nothing to do",
			    ref->message);
		break;
	case PLAN_REFUSAL_USAGE:
		o->usage = true;
		f.result = "usage-error";
		/* A malformed DEVICE names no device: a plain usage error. */
		if (ref->kind == PLAN_REFUSE_MALFORMED)
			(void)startup_usage_error("%s", ref->message);
		else
			log_struct(LOG_ERR, &f, "%s", ref->message);
		break;
	default:
		o->failed = true;
		f.result = "failed";
		log_struct(LOG_ERR, &f, "%s", ref->message);
		break;
	}
}

/* attach-all DOMAIN and detach-all DOMAIN: a domain of the config. */
static int
check_domain(const struct session *s, struct outcome *o)
{
	const struct command_line *cl = &s->a->line;

	if ((cl->command != COMMAND_ATTACH_ALL &&
	    cl->command != COMMAND_DETACH_ALL) || cl->n_args == 0 ||
	    conf_find_domain(&s->conf, cl->args[0]) != NULL)
		return 1;
	o->usage = true;
	return log_error_errno(-EINVAL, "domain '%s' is not in %s",
	    cl->args[0], s->conf.file);
}

int
session_input(struct session *s, struct outcome *o)
{
	struct plan_refusal ref = { 0 };
	int r;

	r = check_domain(s, o);
	if (r <= 0)
		return r;
	r = command_input(&s->a->line, &s->in, &s->one, &s->scope, &ref);
	if (r == -ENOMEM)
		return log_oom();
	if (r == 0) {
		refuse(s, &ref, o);
		plan_refusal_done(&ref);
	}
	return r;
}

/* One warning per run for each configured domain on another host. */
static void
warn_remote(const struct session *s)
{
	const struct conf *conf = &s->conf;

	for (size_t i = 0; i < conf->n_domains; i++) {
		const struct conf_domain *cd = &conf->domains[i];
		const char *uri = virtconns_uri(&s->conns,
		    conf_domain_uri(conf, cd, s->a->line.connect));
		const struct virtconn *vc = virtconns_find(&s->conns, uri);

		if (vc != NULL && vc->remote)
			log_warning("domain '%s' on %s is on another host ('%s'): USB devices are local, so its devices are left alone",
			    cd->name, virtconn_uri_name(uri),
			    vc->host != NULL ? vc->host : "unknown");
	}
}

/*
 * Says why no daemon is asked. Returns 1 when the run goes on to plan
 * (nothing: the config assigns nothing), or 0 when it is over.
 */
static int
nothing_to_ask(const struct session *s, enum command_libvirt why)
{
	struct log_fields f;

	switch (why) {
	case COMMAND_LIBVIRT_UNASSIGNED:
		log_info("%s assigns no device: nothing to do", s->conf.file);
		return 1;
	case COMMAND_LIBVIRT_NO_SERIAL:
		f = refusal_fields("not-plugged", "nothing-to-do", NULL, NULL);
		log_struct(LOG_INFO, &f, "no device at %s and no serial given: nothing to do "
		    "(a sync detaches what it left)", s->a->line.args[0]);
		break;
	default:
		/* Its remove event: a device assigned nowhere has no domain to ask. */
		f = refusal_fields("unassigned", "nothing-to-do", s->one.serial,
		    NULL);
		log_struct(LOG_INFO, &f, "device '%s' is assigned to no domain: nothing to do",
		    s->one.serial);
		break;
	}
	return 0;
}

/* Opens the daemons, the default one first when asked, and reads the guests. */
static int
read_guests(struct session *s, const struct strv *uris, bool with_default,
    struct outcome *o)
{
	_cleanup_free_ const char **v = calloc(uris->n + 1, sizeof(*v));
	size_t n_managed = 0;
	size_t n = 0;
	int r;

	if (v == NULL)
		return log_oom();
	if (with_default)
		v[n++] = NULL;
	for (size_t i = 0; i < uris->n; i++)
		v[n++] = uris->v[i];
	runtime_phase("waiting for libvirt");
	r = virtconns_open(v, n, !command_changes(&s->a->line), &s->conns);
	if (r < 0)
		return r;
	r = virtsnap_collect(&s->conns, plan_adoptable, &s->in, &s->guests);
	if (r < 0)
		return r;
	/* A daemon that could not be reached or read fails the run. */
	o->failed = o->failed || virtconns_failed(&s->conns);
	for (size_t i = 0; i < s->devices.n; i++)
		n_managed += s->devices.v[i].managed;
	log_info("snapshot: %zu managed devices, %zu domains, %lu libvirt calls",
	    n_managed, s->guests.n_domains, s->conns.calls);
	warn_remote(s);
	return 1;
}

int
session_prepare(struct session *s, const struct cli_args *a,
    struct outcome *o)
{
	int r;

	if ((r = session_begin(s, a, o)) > 0 &&
	    (r = session_held(s, o)) > 0 &&
	    (r = session_devices(s)) > 0 &&
	    (r = session_input(s, o)) > 0)
		r = session_guests(s, o);
	return r;
}

int
session_guests(struct session *s, struct outcome *o)
{
	const struct command_line *cl = &s->a->line;
	_cleanup_(strv_done) struct strv uris = { 0 };
	enum command_libvirt why;
	bool with_default;
	int r;

	r = command_libvirt(cl, &s->conf, &s->in,
	    cl->command == COMMAND_ATTACH || cl->command == COMMAND_DETACH ?
	    &s->one : NULL, &uris, &with_default, &why);
	if (r < 0)
		return log_oom();
	if (why != COMMAND_LIBVIRT_ASK)
		return nothing_to_ask(s, why);
	return read_guests(s, &uris, with_default, o);
}

/* -vv: the snapshots, as the planner is given them. */
static void
log_snapshot(const struct session *s)
{
	for (size_t i = 0; i < s->devices.n; i++) {
		const struct usbdev *d = &s->devices.v[i];

		log_debug("device %u:%u port %s %04x:%04x serial '%s'%s",
		    d->bus, d->dev, d->port, d->vendor, d->product,
		    d->serial != NULL ? d->serial : "", "");
	}
	for (size_t i = 0; i < s->guests.n_domains; i++) {
		const struct vdomain *vd = &s->guests.domains[i];

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
log_map(const struct conf *conf, const char *connect)
{
	for (size_t i = 0; i < conf->n_domains; i++)
		for (size_t j = 0; j < conf->domains[i].n_serials; j++)
			log_debug("map: '%s' -> '%s' on %s",
			    conf->domains[i].serials[j].serial,
			    conf->domains[i].name,
			    virtconn_uri_name(conf_domain_uri(conf,
			    &conf->domains[i], connect)));
}

/* The journal's fields of a device left alone, for the reason its state says. */
static struct log_fields
left_alone_fields(const struct status_device *d)
{
	char *const *at = d->rule_at;

	return (struct log_fields){
		.message_id = LOG_MESSAGE_LEFT_ALONE, .action = "left-alone",
		.domain = d->attached != NULL ? d->attached : d->assigned,
		.serial = d->serial, .port = d->port,
		.bus = d->present ? d->bus : 0, .dev = d->dev,
		.vendor = d->vendor, .product = d->product,
		.reason = status_state_to_string(d->state),
		.rule = { at != NULL ? at[0] : NULL,
		    at != NULL && at[0] != NULL ? at[1] : NULL },
	};
}

/*
 * -v: the decisions the plan does not show, the devices left alone and
 * why; the actions themselves are in the plan (-n) or in the notices.
 */
static void
log_left_alone(const struct status *st)
{
	for (size_t i = 0; i < st->n_devices; i++) {
		const struct status_device *d = &st->devices[i];
		/* A device without a serial is named by its port. */
		const char *name = d->serial != NULL ? d->serial : d->port;
		struct log_fields f = left_alone_fields(d);

		if (d->state == STATUS_FOREIGN && d->holder_alias == NULL)
			log_struct(LOG_INFO, &f, "leaving '%s' (%u:%u) alone: '%s' holds it through a hostdev without alias, not bbvirt's",
			    name, d->bus, d->dev, d->attached);
		else if (d->state == STATUS_FOREIGN)
			log_struct(LOG_INFO, &f, "leaving '%s' (%u:%u) alone: '%s' holds it through hostdev '%s', not bbvirt's",
			    name, d->bus, d->dev, d->attached, d->holder_alias);
		else if (d->state == STATUS_REMOTE)
			log_struct(LOG_INFO, &f, "leaving '%s' alone: its domain '%s' is on another host",
			    name, d->assigned);
		else if (d->state == STATUS_SHARED && d->present)
			log_struct(LOG_INFO, &f, "leaving '%s' (%u:%u) alone: its serial is on more than one device, which the rule at %s cannot tell apart",
			    name, d->bus, d->dev, d->rule_at[0]);
		else if (d->state == STATUS_AMBIGUOUS && d->rule_at[1] != NULL)
			log_struct(LOG_INFO, &f, "leaving %u:%u (port %s) alone: the port rules at %s and %s name one connector",
			    d->bus, d->dev, d->port, d->rule_at[0], d->rule_at[1]);
		else if (d->state == STATUS_AMBIGUOUS)
			log_struct(LOG_INFO, &f, "leaving %u:%u (port %s) alone: the port rule at %s names more than one device",
			    d->bus, d->dev, d->port, d->rule_at[0]);
		else if (d->state == STATUS_HUB)
			log_struct(LOG_INFO, &f, "leaving %u:%u (port %s) alone: a hub, which the rule at %s does not pass through",
			    d->bus, d->dev, d->port, d->rule_at[0]);
	}
}

/*
 * A one-device command asked for one thing: a refusal is its answer. The
 * others report every refusal and go on.
 */
static bool
refused(const struct session *s, const struct plan *plan, struct outcome *o)
{
	enum command c = s->a->line.command;

	if ((c == COMMAND_ATTACH || c == COMMAND_DETACH) && plan->n_refusals > 0) {
		refuse(s, &plan->refusals[0], o);
		return true;
	}
	for (size_t i = 0; i < plan->n_refusals; i++) {
		const struct plan_refusal *ref = &plan->refusals[i];
		struct log_fields f = refusal_fields(
		    plan_refusal_kind_to_string(ref->kind), "failed",
		    ref->serial, ref->domain);

		log_struct(LOG_ERR, &f, "%s", ref->message);
	}
	o->failed = o->failed || plan->n_refusals > 0;
	return false;
}

static int
print_plan(const struct plan *plan, bool json, struct outcome *o)
{
	int r;

	runtime_phase("writing the plan");
	r = report_plan(stdout, plan, json);
	if (r < 0)
		return r;
	if (plan->n == 0 && !o->failed)
		log_info("nothing to do");
	o->pending = plan->n > 0;
	return 0;
}

/*
 * The devices as status shows them, from the whole host's plan: an
 * unscoped sync's own, else one built apart, which the sync's results
 * reach once applied. Returns 0 or -ENOMEM.
 */
static int
build_status(struct session *s)
{
	const struct plan_input whole = {
		.conf = s->in.conf, .devices = s->in.devices,
		.guests = s->in.guests, .uri_override = s->in.uri_override,
	};
	int r;

	if (s->in.n_only > 0 || s->in.requests != NULL || s->in.release) {
		r = plan_build(&whole, &s->whole);
		if (r < 0)
			return r;
	}
	return status_build_with(&s->in, s->whole != NULL ? s->whole : s->plan,
	    &s->status);
}

int
session_plan(struct session *s, struct outcome *o)
{
	const struct cli_args *a = s->a;
	enum command c = a->line.command;
	struct plan *plan;
	int failed;
	int r;

	if (log_get_max_level() >= LOG_DEBUG)
		log_snapshot(s);
	if (a->common.verbose >= 3)
		log_map(&s->conf, a->line.connect);
	r = plan_build(&s->in, &s->plan);
	if (r < 0)
		return log_oom();
	plan = s->plan;
	/* Built from the snapshot, before anything changes: what status says. */
	if ((c == COMMAND_SYNC || c == COMMAND_RECLAIM) &&
	    (s->metrics != NULL || log_get_max_level() >= LOG_INFO)) {
		r = build_status(s);
		if (r < 0)
			return log_oom();
		log_left_alone(s->status);
	}
	if (refused(s, plan, o))
		return 0;
	if (a->line.dry_run)
		return print_plan(plan, a->json, o);
	runtime_phase("waiting for libvirt to attach or detach");
	failed = apply_plan(plan, &apply_libvirt_ops, &s->conns);
	if (failed < 0)
		return failed;
	if (s->whole != NULL)
		plan_copy_results(s->whole, plan);
	log_debug("%lu libvirt calls in all", s->conns.calls);
	o->failed = o->failed || failed > 0;
	return a->json ? report_plan(stdout, plan, true) : 0;
}

void
session_metrics(struct session *s, int r, const struct outcome *o)
{
	struct metrics_sync m = {
		.status = s->status, .plan = s->plan,
		.end_usec = now_usec(CLOCK_REALTIME),
		.duration_usec = now_usec(CLOCK_MONOTONIC) - s->start_usec,
		.success = outcome_exit_status(r, o) == EXIT_OK,
		.released = s->held,
	};
	_cleanup_free_ char *text = NULL;
	size_t len;

	if (s->metrics == NULL || !s->config_read)
		return;
	runtime_phase("writing the metrics");
	if (metrics_render(&m, &text, &len) < 0) {
		(void)log_oom();
		return;
	}
	(void)metrics_file_write(s->metrics, text, len);
}
