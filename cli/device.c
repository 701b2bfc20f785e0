#include "bbvirt.h"

/*
 * attach|detach DEVICE, attach-all|detach-all [DOMAIN]: the planner's
 * input (command_input()) is the whole of what they ask. A DEVICE is
 * resolved against the devices before libvirt is asked: a refused
 * request needs no guest, and adoption reads the request.
 */
int
verb_device(const struct cli_args *a, struct outcome *o)
{
	_cleanup_(session_done) struct session s = { 0 };
	int r = session_prepare(&s, a, o);

	if (r > 0)
		r = session_plan(&s, o);
	return r < 0 ? r : 0;
}
