#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

static int max_level = LOG_NOTICE;
static bool use_syslog;
static FILE *stream;
/* The program named in every line: set once by log_init(). */
static const char *program = "bbvirt";
static char prefix[64] = "bbvirt: ";
/*
 * Whether stderr is the journal: decided once by log_init(), before any
 * thread starts, and only read afterwards (the watchdog reads it too).
 */
static bool journal;

void
log_set_max_level(int level)
{
	max_level = level;
}

void
log_set_verbosity(int n)
{
	log_set_max_level(LOG_NOTICE + n > LOG_DEBUG ? LOG_DEBUG : LOG_NOTICE + n);
}

int
log_get_max_level(void)
{
	return max_level;
}

void
log_open_syslog(void)
{
	openlog(program, LOG_PID, LOG_DAEMON);
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

void
log_init(const char *name)
{
	program = name;
	(void)snprintf(prefix, sizeof(prefix), "%s: ", name);
	journal = stderr_is_journal();
}

/* Appends s to buf[*n], always leaving room for the final newline. */
static void
put(char *buf, size_t size, size_t *n, const char *s)
{
	while (*s != '\0' && *n + 1 < size)
		buf[(*n)++] = *s++;
}

void
log_emergency_write(const char *const *parts)
{
	char buf[512];
	size_t n = 0;
	size_t off = 0;

	put(buf, sizeof(buf), &n, journal ? "<3>" : prefix);
	for (; *parts != NULL; parts++)
		put(buf, sizeof(buf), &n, *parts);
	buf[n++] = '\n';
	while (off < n) {
		ssize_t w = write(STDERR_FILENO, buf + off, n - off);

		if (w <= 0)
			return;
		off += w;
	}
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

	/*
	 * As the original's --syslog: to syslog, and to stderr as well,
	 * unless stderr is the journal, where syslog's line goes too.
	 */
	if (use_syslog && stream == NULL) {
		syslog(level, "%s", line);
		if (journal)
			return r;
	}
	if (stream != NULL) {
		fprintf(stream, "%s%s\n", prefix, line);
		return r;
	}
	if (journal)
		fprintf(stderr, "<%d>%s\n", level, line);
	else
		fprintf(stderr, "%s%s\n", prefix, line);
	return r;
}
