#include "bbvirt.h"

/*
 * release: every hostdev bbvirt owns, from every running guest, and
 * nothing attached until reclaim (the host going down). With a config
 * that cannot be read it releases what it can, and says so by exit 2.
 */
int
verb_release(const struct cli_args *a, struct outcome *o)
{
	_cleanup_(session_done) struct session s = { 0 };
	int r = session_prepare(&s, a, o);

	if (r > 0)
		r = session_plan(&s, o);
	o->usage = o->usage || (s.bad_config && r >= 0);
	return r < 0 ? r : 0;
}
