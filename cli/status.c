#include "bbvirt.h"
#include "log.h"
#include "report.h"
#include "status.h"

/* status: each device, its assignment, where it is and why. */
int
verb_status(const struct cli_args *a, struct outcome *o)
{
	_cleanup_(session_done) struct session s = { 0 };
	_cleanup_(status_freep) struct status *st = NULL;
	int r;

	r = session_prepare(&s, a, o);
	if (r <= 0)
		return r;
	r = status_build(&s.in, &st);
	if (r < 0)
		return log_oom();
	st->released = s.held ? s.since : NULL;
	return report_status(stdout, st, a->json);
}

/* config: the config checked, and the assignment it makes. */
int
verb_config(const struct cli_args *a, struct outcome *o)
{
	_cleanup_(conf_done) struct conf conf = { 0 };
	_cleanup_free_ char *path = NULL;
	int r;

	if (conf_path(a->common.config, &path) < 0)
		return log_oom();
	r = conf_load_or_none(path, false, &conf);
	if (r < 0) {
		o->usage = r != -ENOMEM;        /* logged with its file and line */
		return r;
	}
	return report_conf(stdout, &conf, a->json);
}
