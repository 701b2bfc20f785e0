/*
 * The metrics file of a sync, for node_exporter's textfile collector:
 * where it goes, and writing it so that the collector never reads half
 * of one. What it holds is reconcile/metrics.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bbvirt.h"
#include "log.h"

/* Debian's prometheus-node-exporter reads every *.prom file here. */
#define METRICS_DEFAULT_DIR "/var/lib/prometheus/node-exporter"
#define METRICS_NAME "bbvirt.prom"

int
metrics_file_path(const struct conf *conf, char **ret_path)
{
	const char *dir = getenv("BBVIRT_METRICS_DIR");
	struct stat st;

	if (conf->metrics != NULL && strcmp(conf->metrics, "none") == 0)
		return 0;
	if (conf->metrics != NULL) {
		*ret_path = strdup(conf->metrics);
		return *ret_path != NULL ? 1 : -ENOMEM;
	}
	if (dir == NULL || dir[0] == '\0')
		dir = METRICS_DEFAULT_DIR;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	if (asprintf(ret_path, "%s/" METRICS_NAME, dir) < 0)
		return -ENOMEM;
	return 1;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		p += k;
		n -= k;
	}
	return 0;
}

/* Into the temporary file fd, then in place of path. */
static int
put_in_place(int fd, const char *tmp, const char *path, const char *text,
    size_t len)
{
	int r;

	r = write_all(fd, text, len);
	if (r < 0)
		return r;
	/*
	 * The collector runs as another user, and the units' umask is 0077.
	 * No fsync: the rename alone makes the change whole, a crash costs
	 * at most the file of the last minute, which the next sync writes
	 * again, and an fsync cost 0.5-18 ms here (bench/metrics.sh), three
	 * times all the rest.
	 */
	if (fchmod(fd, 0644) < 0 || rename(tmp, path) < 0)
		return -errno;
	return 0;
}

int
metrics_file_write(const char *path, const char *text, size_t len)
{
	const char *slash = strrchr(path, '/');
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = -1;
	int r;

	/* Hidden, and not *.prom: the collector never reads it. */
	if (slash == NULL || asprintf(&tmp, "%.*s.%s.XXXXXX",
	    (int)(slash + 1 - path), path, slash + 1) < 0)
		return log_warning_errno(-ENOMEM, "cannot write metrics to '%s': %s",
		    path, strerror(ENOMEM));
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return log_warning_errno(-errno, "cannot write metrics to '%s': %s",
		    path, strerror(errno));
	r = put_in_place(fd, tmp, path, text, len);
	if (r < 0) {
		(void)unlink(tmp);
		return log_warning_errno(r, "cannot write metrics to '%s': %s",
		    path, strerror(-r));
	}
	return 0;
}
