/*
 * The metrics file of a sync, for node_exporter's textfile collector:
 * where it goes, and writing it so that the collector never reads half
 * of one. What it holds is reconcile/metrics.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
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

/* All of text at the start of fd, and nothing after it. */
static int
write_whole(int fd, const char *text, size_t len)
{
	for (size_t done = 0; done < len;) {
		ssize_t k = pwrite(fd, text + done, len - done, (off_t)done);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		done += k;
	}
	if (ftruncate(fd, (off_t)len) < 0)
		return -errno;
	return 0;
}

/*
 * The temporary file tmp, to write the new text into. The last write
 * left the text before it there (swapped out of path): that file is
 * rewritten in place while it is a plain file of ours and nothing has it
 * open, which a write lease proves (a collector still reading it must
 * not see it change). Else a new one, mode 0644 whatever the umask (the
 * collector runs as another user, and the units' umask is 0077).
 * Reusing the file saves creating an inode and, at the rename, the
 * flush that ext4 starts for a file that replaces another: 0.3 of 0.35
 * ms (bench/metrics.sh). Returns the descriptor, or -errno.
 */
static int
open_tmp(const char *tmp)
{
	_cleanup_close_ int fd = open(tmp, O_WRONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	struct stat st;

	/* A lease break signals its holder: SIGIO, which would end the run. */
	(void)signal(SIGIO, SIG_IGN);
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_uid == geteuid() && st.st_nlink == 1 &&
	    (st.st_mode & 07777) == 0644 &&
	    fcntl(fd, F_SETLEASE, F_WRLCK) == 0)
		return TAKE_FD(fd);
	if (unlink(tmp) < 0 && errno != ENOENT)
		return -errno;
	closep(&fd);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0644);
	if (fd < 0 || fchmod(fd, 0644) < 0)
		return -errno;
	return TAKE_FD(fd);
}

/*
 * Into the temporary file, then in place of path: swapped with the file
 * there, which becomes the next run's temporary file, or renamed when
 * there is none or the file system cannot swap. No fsync: the swap alone
 * makes the change whole, a crash costs at most the file of the last
 * minute, which the next sync writes again, and an fsync cost 0.5-18 ms
 * here (bench/metrics.sh), many times all the rest.
 */
static int
put_in_place(const char *tmp, const char *path, const char *text, size_t len)
{
	_cleanup_close_ int fd = open_tmp(tmp);
	int r;

	if (fd < 0)
		return fd;
	r = write_whole(fd, text, len);
	/* Released before the swap: the collector's open must not wait. */
	(void)fcntl(fd, F_SETLEASE, F_UNLCK);
	if (r < 0)
		return r;
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_EXCHANGE) == 0)
		return 0;
	if (rename(tmp, path) < 0)
		return -errno;
	return 0;
}

int
metrics_file_write(const char *path, const char *text, size_t len)
{
	const char *slash = strrchr(path, '/');
	_cleanup_free_ char *tmp = NULL;
	int r;

	/* Hidden, and not *.prom: the collector never reads it. */
	if (slash == NULL || asprintf(&tmp, "%.*s.%s.tmp",
	    (int)(slash + 1 - path), path, slash + 1) < 0)
		return log_warning_errno(-ENOMEM, "cannot write metrics to '%s': %s",
		    path, strerror(ENOMEM));
	r = put_in_place(tmp, path, text, len);
	if (r < 0)
		return log_warning_errno(r, "cannot write metrics to '%s': %s",
		    path, strerror(-r));
	return 0;
}
