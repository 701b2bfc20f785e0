#include "bbvirt.h"
#include "log.h"
#include "report.h"
#include "status.h"
#include "udevsnap.h"

/* Each busy device's host process, where this run may see it. */
static int
name_busy_holders(struct status *st)
{
	for (size_t i = 0; i < st->n_devices; i++) {
		struct status_device *d = &st->devices[i];

		if (d->state == STATUS_BUSY &&
		    usbfs_holder(d->bus, d->dev, &d->busy_holder) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* status: each device, its assignment, where it is and why. */
int
verb_status(const struct cli_args *a, struct outcome *o)
{
	_cleanup_(session_done) struct session s = { 0 };
	_cleanup_(status_freep) struct status *st = NULL;
	_cleanup_(seedd_view_done) struct seedd_view seedd = { 0 };
	int r;

	r = session_prepare(&s, a, o);
	if (r <= 0)
		return r;
	r = status_build(&s.in, &st);
	if (r < 0)
		return log_oom();
	st->released = s.held ? s.since : NULL;
	r = name_busy_holders(st);
	if (r < 0)
		return log_oom();
	r = seedd_check(&s.conf, &s.in, &seedd);
	if (r < 0)
		return r;
	st->seedd = r > 0 ? &seedd.claim : NULL;
	return report_status(stdout, st, a->json);
}

/* config: the config checked, and the assignment it makes. */
int
verb_config(const struct cli_args *a, struct outcome *o)
{
	_cleanup_(conf_done) struct conf conf = { 0 };
	_cleanup_(seedd_view_done) struct seedd_view seedd = { 0 };
	_cleanup_free_ char *path = NULL;
	int r;

	if (conf_path(a->common.config, &path) < 0)
		return log_oom();
	r = conf_load_or_none(path, false, &conf);
	if (r < 0) {
		o->usage = r != -ENOMEM;        /* logged with its file and line */
		return r;
	}
	r = seedd_check(&conf, NULL, &seedd);
	if (r < 0)
		return r;
	return report_conf_with(stdout, &conf, r > 0 ? &seedd.claim : NULL,
	    a->json);
}
