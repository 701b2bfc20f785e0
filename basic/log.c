#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

/* CODE_FILE= and CODE_LINE= would name this file: leave them out. */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "log.h"

/* Where libsystemd sends journal entries (sd_journal_sendv()). */
#define JOURNAL_SOCKET "/run/systemd/journal/socket"

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
/*
 * Whether messages go to the journal through its socket: when stderr is
 * the journal, or --syslog found one. Set like journal, before threads.
 */
static bool native;

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

/*
 * Whether there is a journal to send to: its socket, which is what
 * sd_journal_sendv() writes to. It must be asked first: without the
 * socket, sd_journal_sendv() drops the entry and reports success.
 * sd_booted() would say whether systemd runs the host, which is not the
 * question: a container can have journald without it. A socket nobody
 * reads fails each send, which then goes where it would have gone
 * without a journal.
 */
static bool
journal_present(void)
{
	struct stat st;

	return stat(JOURNAL_SOCKET, &st) == 0 && S_ISSOCK(st.st_mode);
}

void
log_open_syslog(void)
{
	openlog(program, LOG_PID, LOG_DAEMON);
	use_syslog = true;
	native = native || journal_present();
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
	native = journal && journal_present();
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

/*
 * One journal entry, its fields formatted into buf: MESSAGE, PRIORITY,
 * SYSLOG_IDENTIFIER, SYSLOG_FACILITY, ERRNO and those of log_fields.
 */
struct journal_entry {
	struct iovec iov[24];
	size_t n;
	size_t used;
	char buf[8192];
};

/* Adds one "KEY=value" field; one that does not fit is left out, never cut. */
static _printf_(2, 3) void
entry_add(struct journal_entry *e, const char *fmt, ...)
{
	size_t room = sizeof(e->buf) - e->used;
	va_list ap;
	int k;

	if (e->n >= ARRAY_SIZE(e->iov))
		return;
	va_start(ap, fmt);
	k = vsnprintf(e->buf + e->used, room, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= room)
		return;
	e->iov[e->n++] = (struct iovec){ e->buf + e->used, (size_t)k };
	e->used += (size_t)k + 1;
}

static void
entry_str(struct journal_entry *e, const char *key, const char *value)
{
	if (value != NULL)
		entry_add(e, "%s=%s", key, value);
}

static void
entry_fields(struct journal_entry *e, const struct log_fields *f)
{
	entry_str(e, "MESSAGE_ID", f->message_id);
	entry_str(e, "BBVIRT_ACTION", f->action);
	entry_str(e, "BBVIRT_DOMAIN", f->domain);
	entry_str(e, "BBVIRT_SERIAL", f->serial);
	entry_str(e, "BBVIRT_PORT", f->port);
	if (f->bus != 0)
		entry_add(e, "BBVIRT_ADDRESS=%u:%u", f->bus, f->dev);
	if (f->vendor != 0 || f->product != 0)
		entry_add(e, "BBVIRT_USB_ID=%04x:%04x", f->vendor, f->product);
	entry_str(e, "BBVIRT_REASON", f->reason);
	entry_str(e, "BBVIRT_RESULT", f->result);
	entry_str(e, "BBVIRT_RULE", f->rule[0]);
	entry_str(e, "BBVIRT_RULE", f->rule[1]);
	entry_str(e, "BBVIRT_EVENT", f->event);
	entry_str(e, "BBVIRT_ERROR", f->error);
}

/* Sends line and its fields to the journal. Returns 0 or -errno. */
static int
journal_send(int level, int r, const struct log_fields *f, const char *line)
{
	struct journal_entry e;         /* buf is written before it is read */

	e.n = 0;
	e.used = 0;
	entry_add(&e, "MESSAGE=%s", line);
	entry_add(&e, "PRIORITY=%d", level);
	entry_add(&e, "SYSLOG_IDENTIFIER=%s", program);
	entry_add(&e, "SYSLOG_FACILITY=%d", LOG_DAEMON >> 3);
	if (r < 0)
		entry_add(&e, "ERRNO=%d", -r);
	if (f != NULL)
		entry_fields(&e, f);
	return sd_journal_sendv(e.iov, (int)e.n);
}

static int
log_vstruct(int level, int r, const struct log_fields *f, const char *fmt,
    va_list ap)
{
	char line[2048];

	if (level > max_level)
		return r;
	(void)vsnprintf(line, sizeof(line), fmt, ap);

	if (stream != NULL) {
		fprintf(stream, "%s%s\n", prefix, line);
		return r;
	}
	/*
	 * One entry in the journal: stderr is left out when it is the
	 * journal. With --syslog and no journal, as the original did: to
	 * syslog and to stderr.
	 */
	if (native && journal_send(level, r, f, line) >= 0) {
		if (journal)
			return r;
	} else if (use_syslog) {
		syslog(level, "%s", line);
		if (journal)
			return r;
	}
	if (journal)
		fprintf(stderr, "<%d>%s\n", level, line);
	else
		fprintf(stderr, "%s%s\n", prefix, line);
	return r;
}

int
log_struct_errno(int level, int r, const struct log_fields *f,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	r = log_vstruct(level, r, f, fmt, ap);
	va_end(ap);
	return r;
}

int
log_full_errno(int level, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	r = log_vstruct(level, r, NULL, fmt, ap);
	va_end(ap);
	return r;
}
