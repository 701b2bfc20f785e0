/*
 * seedd's config on this host, for config and status: where it is, reading
 * it, and logging what its claim means for the config's (the decision is
 * reconcile/seeddclaim.c's). Warnings only: nothing here changes the exit
 * status.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bbvirt.h"
#include "log.h"

void
seedd_view_done(struct seedd_view *v)
{
	seeddclaim_done(&v->claim);
	seedd_conf_done(&v->conf);
}

/*
 * The config's seedd-conf = PATH, none, else $BBVIRT_SEEDD_CONF (for the
 * tests), else the default. Returns 1 with *ret_path (the caller's), 0
 * for none, or -ENOMEM.
 */
static int
seedd_path(const struct conf *conf, char **ret_path)
{
	const char *p = conf->seedd_conf;

	if (p != NULL && strcmp(p, "none") == 0)
		return 0;
	if (p == NULL)
		p = getenv("BBVIRT_SEEDD_CONF");
	if (p == NULL || p[0] == '\0')
		p = SEEDD_DEFAULT_PATH;
	*ret_path = strdup(p);
	return *ret_path != NULL ? 1 : -ENOMEM;
}

/* Why path could not be read, once, as a warning; its absence is no news unless named. */
static int
unread(const struct conf *conf, const char *path, int r)
{
	if (r == -ENOMEM)
		return log_oom();
	if (r == -ENOENT && conf->seedd_conf == NULL)
		log_info("%s does not exist: seedd's claim is not checked", path);
	else if (r == -EINVAL)
		log_warning("cannot read seedd's config '%s': not a regular file; seedd's claim is not checked",
		    path);
	else if (r == -EFBIG)
		log_warning("cannot read seedd's config '%s': expected at most %u MiB; seedd's claim is not checked",
		    path, SEEDD_FILE_MAX >> 20);
	else if (r == -E2BIG)
		log_warning("cannot read seedd's config '%s': expected at most %d device sections; seedd's claim is not checked",
		    path, SEEDD_DEVICES_MAX);
	else
		log_warning("cannot read seedd's config '%s': %s; seedd's claim is not checked",
		    path, strerror(-r));
	return 0;
}

int
seedd_check(const struct conf *conf, const struct plan_input *in,
    struct seedd_view *ret)
{
	_cleanup_(seedd_view_done) struct seedd_view v = { 0 };
	_cleanup_free_ char *path = NULL;
	int r;

	r = seedd_path(conf, &path);
	if (r < 0)
		return log_oom();
	if (r == 0) {
		log_info("seedd-conf = none: seedd's claim is not checked");
		return 0;
	}
	r = seedd_load(path, &v.conf);
	if (r < 0)
		return unread(conf, path, r);
	if (seeddclaim_build(conf, &v.conf, in, &v.claim) < 0)
		return log_oom();
	log_info("%s: %zu [Device:SERIAL] sections; seedd's claim checked",
	    path, v.conf.n_devices);
	for (size_t i = 0; i < v.claim.n_warnings; i++)
		log_warning("%s", v.claim.warnings[i].message);
	/* The claim borrows the file name from the config it moves with. */
	*ret = v;
	v = (struct seedd_view){ 0 };
	return 1;
}
