#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"

static int max_level = LOG_NOTICE;
static bool use_syslog;
static FILE *stream;
static int journal = -1;

void
log_set_max_level(int level)
{
	max_level = level;
}

int
log_get_max_level(void)
{
	return max_level;
}

void
log_open_syslog(void)
{
	openlog("bbvirt", LOG_PID, LOG_DAEMON);
	use_syslog = true;
}

void
log_set_stream(FILE *f)
{
	stream = f;
}

/* systemd sets $JOURNAL_STREAM to "DEV:INODE" of the stream it connected. */
static bool
stderr_is_journal(void)
{
	unsigned long long dev;
	unsigned long long ino;
	const char *e = getenv("JOURNAL_STREAM");
	struct stat st;

	if (e == NULL || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(fileno(stderr), &st) < 0)
		return false;
	return st.st_dev == dev && st.st_ino == ino;
}

int
log_full_errno(int level, int r, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	if (level > max_level)
		return r;
	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);

	if (use_syslog && stream == NULL) {
		syslog(level, "%s", line);
		return r;
	}
	if (stream != NULL) {
		fprintf(stream, "bbvirt: %s\n", line);
		return r;
	}
	if (journal < 0)
		journal = stderr_is_journal();
	if (journal)
		fprintf(stderr, "<%d>%s\n", level, line);
	else
		fprintf(stderr, "bbvirt: %s\n", line);
	return r;
}
