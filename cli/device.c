#include "bbvirt.h"
#include "log.h"

/*
 * attach|detach DEVICE: one device, named by serial, address or port. Its
 * DEVICE is resolved against the devices before libvirt is asked: a
 * refused request needs no guest, and adoption reads the request.
 */
int
verb_device(const struct cli_args *a, struct outcome *o)
{
	_cleanup_(session_done) struct session s = { 0 };
	int r;

	if ((r = session_begin(&s, a, o)) > 0 &&
	    (r = session_held(&s, o)) > 0 &&
	    (r = session_devices(&s)) > 0 &&
	    (r = session_input(&s, o)) > 0 &&
	    (r = session_guests(&s, o)) > 0)
		r = session_plan(&s, o);
	return r < 0 ? r : 0;
}

/* attach-all|detach-all [DOMAIN]: the devices the config assigns to it, or to any. */
int
verb_all(const struct cli_args *a, struct outcome *o)
{
	_cleanup_(session_done) struct session s = { 0 };
	const char *domain = a->line.n_args == 1 ? a->line.args[0] : NULL;
	int r;

	r = session_begin(&s, a, o);
	if (r > 0)
		r = session_held(&s, o);
	if (r > 0 && domain != NULL &&
	    conf_find_domain(&s.conf, domain) == NULL) {
		o->usage = true;
		return log_error_errno(-EINVAL, "domain '%s' is not in %s",
		    domain, s.conf.file);
	}
	if (r > 0 && (r = session_devices(&s)) > 0 &&
	    (r = session_input(&s, o)) > 0 &&
	    (r = session_guests(&s, o)) > 0)
		r = session_plan(&s, o);
	return r < 0 ? r : 0;
}
