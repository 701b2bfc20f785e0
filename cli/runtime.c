#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "runtime.h"
#include "util.h"

#define DEFAULT_LOCK "/run/bbvirt/lock"
/* Beside the lock: while it exists, bbvirt release holds and nothing is attached. */
#define HOLD_NAME "released"

/* A run never outlives its --timeout, even inside a libvirt call that hangs. */
static _Atomic(const char *) watchdog_phase = "starting";
static unsigned watchdog_timeout;

/*
 * The main thread may be blocked inside stdio (a stdout pipe nobody reads),
 * syslog(3) or libvirt, holding their locks: the watchdog touches none of
 * them. It formats on its stack, write(2)s and _exit()s; output still in
 * stdout's buffer is lost, as it must be.
 */
static void *
watchdog(void *p _unused_)
{
	struct timespec ts = { .tv_sec = watchdog_timeout };
	char secs[16];
	size_t n = sizeof(secs) - 1;
	unsigned v = watchdog_timeout;

	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
		;
	secs[n] = '\0';
	do {
		secs[--n] = '0' + v % 10;
		v /= 10;
	} while (v > 0 && n > 0);
	log_emergency_write((const char *const[]){ "timed out after ",
	    secs + n, " s ", atomic_load(&watchdog_phase), NULL });
	_exit(EXIT_RUNTIME);
	return NULL;
}

int
runtime_watchdog(unsigned timeout)
{
	pthread_t t;
	sigset_t all;
	sigset_t old;
	int r;

	watchdog_timeout = timeout;
	/* The thread takes no signals: they stay the main thread's. */
	(void)sigfillset(&all);
	(void)pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&t, NULL, watchdog, NULL);
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0)
		return log_error_errno(-r, "cannot start the watchdog: %s",
		    strerror(r));
	(void)pthread_detach(t);
	return 0;
}

void
runtime_phase(const char *phase)
{
	atomic_store(&watchdog_phase, phase);
}

/* Serialises changing runs; the descriptor stays open until exit. */
static int lock_fd = -1;

static const char *
lock_path(void)
{
	const char *path = getenv("BBVIRT_LOCK");

	return path != NULL && path[0] != '\0' ? path : DEFAULT_LOCK;
}

int
runtime_lock(void)
{
	const char *path = lock_path();
	char dir[4096];
	_cleanup_close_ int fd = -1;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return log_error_errno(-ENAMETOOLONG, "lock path too long");
	if (mkdir(dirname(dir), 0755) < 0 && errno != EEXIST)
		return log_error_errno(-errno, "cannot create '%s': %s", dir,
		    strerror(errno));
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0)
		return log_error_errno(-errno, "cannot open lock '%s': %s",
		    path, strerror(errno));
	runtime_phase("waiting for another bbvirt to finish");
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return log_error_errno(-errno, "cannot lock '%s': %s",
			    path, strerror(errno));
	lock_fd = TAKE_FD(fd);
	return 0;
}

/* The hold's file, in the lock's directory. */
static int
hold_path(char *buf, size_t n)
{
	char dir[4096];

	if (snprintf(dir, sizeof(dir), "%s", lock_path()) >= (int)sizeof(dir) ||
	    snprintf(buf, n, "%s/" HOLD_NAME, dirname(dir)) >= (int)n)
		return log_error_errno(-ENAMETOOLONG, "lock path too long");
	return 0;
}

int
runtime_hold_read(char *since, size_t n)
{
	char path[4096];
	struct stat st;
	struct tm tm;
	int r;

	r = hold_path(path, sizeof(path));
	if (r < 0)
		return r;
	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return log_error_errno(-errno, "cannot read '%s': %s", path,
		    strerror(errno));
	}
	if (localtime_r(&st.st_mtime, &tm) == NULL ||
	    strftime(since, n, "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
		(void)snprintf(since, n, "@%lld", (long long)st.st_mtime);
	return 1;
}

int
runtime_hold_set(void)
{
	static const char text[] = "bbvirt release holds: nothing is attached until 'bbvirt reclaim'\n";
	char path[4096];
	_cleanup_close_ int fd = -1;
	int r;

	r = hold_path(path, sizeof(path));
	if (r < 0)
		return r;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY,
	    0644);
	if (fd < 0 && errno == EEXIST)
		return 0;
	if (fd < 0)
		return log_error_errno(-errno, "cannot create '%s': %s", path,
		    strerror(errno));
	if (write(fd, text, sizeof(text) - 1) != (ssize_t)sizeof(text) - 1)
		return log_error_errno(-EIO, "cannot write '%s'", path);
	log_struct(LOG_NOTICE, &(struct log_fields){
		.message_id = LOG_MESSAGE_RELEASED, .action = "release" },
	    "released: nothing is attached until 'bbvirt reclaim'");
	return 0;
}

int
runtime_hold_end(void)
{
	char path[4096];
	int r;

	r = hold_path(path, sizeof(path));
	if (r < 0)
		return r;
	if (unlink(path) < 0) {
		if (errno == ENOENT)
			return 0;
		return log_error_errno(-errno, "cannot remove '%s': %s", path,
		    strerror(errno));
	}
	log_struct(LOG_NOTICE, &(struct log_fields){
		.message_id = LOG_MESSAGE_RECLAIMED, .action = "reclaim" },
	    "reclaimed: bbvirt attaches devices again");
	return 0;
}

