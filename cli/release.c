#include "bbvirt.h"
#include "log.h"
#include "runtime.h"

/*
 * release: every hostdev bbvirt owns, from every running guest, and
 * nothing attached until reclaim (the host going down). With a config
 * that cannot be read it releases what it can, and says so by exit 2.
 */
int
verb_release(const struct cli_args *a, struct outcome *o)
{
	_cleanup_(session_done) struct session s = { 0 };
	int r;

	if ((r = session_begin(&s, a, o)) > 0 &&
	    (r = session_devices(&s)) > 0 &&
	    (r = session_input(&s, o)) > 0 &&
	    (r = session_guests(&s, o)) > 0)
		r = session_plan(&s, o);
	o->usage = o->usage || (s.bad_config && r >= 0);
	return r < 0 ? r : 0;
}

/* reclaim: the hold ends, then a sync. */
int
verb_reclaim(const struct cli_args *a, struct outcome *o)
{
	_cleanup_(session_done) struct session s = { 0 };
	int r;

	if ((r = session_begin(&s, a, o)) > 0 &&
	    (!command_changes(&a->line) || (r = runtime_hold_end()) == 0) &&
	    (r = session_devices(&s)) > 0 &&
	    (r = session_input(&s, o)) > 0 &&
	    (r = session_guests(&s, o)) > 0)
		r = session_plan(&s, o);
	return r < 0 ? r : 0;
}
