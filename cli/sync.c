#include <errno.h>
#include <string.h>

#include "bbvirt.h"
#include "log.h"

/* Each domain sync names is in the config or known to libvirt. */
static int
check_scope(const struct session *s, struct outcome *o)
{
	for (size_t i = 0; i < s->scope.n; i++) {
		const char *name = s->scope.v[i];
		bool known = conf_find_domain(&s->conf, name) != NULL;

		for (size_t k = 0; !known && k < s->guests.n_domains; k++)
			known = strcmp(s->guests.domains[k].name, name) == 0;
		if (!known) {
			o->usage = true;
			return log_error_errno(-EINVAL,
			    "domain '%s' is neither in %s nor known to libvirt",
			    name, s->conf.file);
		}
	}
	return 1;
}

/*
 * sync [DOMAIN...]: attach what is missing, detach what is stale. reclaim
 * is a sync too, once session_begin() has ended the hold.
 */
int
verb_sync(const struct cli_args *a, struct outcome *o)
{
	_cleanup_(session_done) struct session s = { 0 };
	int r;

	if ((r = session_prepare(&s, a, o)) > 0 &&
	    (r = check_scope(&s, o)) > 0)
		r = session_plan(&s, o);
	session_metrics(&s, r < 0 ? r : 0, o);
	return r < 0 ? r : 0;
}
