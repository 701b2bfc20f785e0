/*
 * seedd's config, its section headers only. bit-babbler's own parser
 * (IniData in include/bit-babbler/iniparser.h) is the reference: it skips
 * blanks, tabs and line breaks before a line, ends a line at '\n' or
 * '\r', takes a line starting with '#' for a comment and one starting
 * with '[' for a header named up to the first ']', and refuses a header
 * without ']' or shorter than three bytes. seedd reads its config with
 * repeated sections merged, and takes every BitBabbler when no section
 * is named "Device:" followed by the device's ID.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "seedd.h"
#include "util.h"

#define DEVICE_PREFIX "Device:"

void
seedd_conf_done(struct seedd_conf *s)
{
	for (size_t i = 0; i < s->n_devices; i++)
		free(s->devices[i].serial);
	free(s->devices);
	free(s->file);
	*s = (struct seedd_conf){ 0 };
}

static int
device_cmp(const void *x, const void *y)
{
	const struct seedd_device *a = x;
	const struct seedd_device *b = y;
	int c = strcmp(a->serial, b->serial);

	if (c != 0)
		return c;
	return (a->line > b->line) - (a->line < b->line);
}

/* A [Device:NAME] header: NAME, of n bytes, is kept when it is a usable serial. */
static int
add_device(struct seedd_conf *s, const char *name, size_t n, unsigned line)
{
	struct seedd_device d = { .line = line };

	if (s->first_device_line == 0)
		s->first_device_line = line;
	if (n == 0 || n > SERIAL_MAX || memchr(name, '\0', n) != NULL)
		return 0;
	d.serial = strndup(name, n);
	if (d.serial == NULL)
		return -ENOMEM;
	if (!serial_valid(d.serial)) {
		free(d.serial);
		return 0;
	}
	if (s->n_devices >= SEEDD_DEVICES_MAX) {
		free(d.serial);
		return -E2BIG;
	}
	if (GREEDY_APPEND(s->devices, s->n_devices, d) < 0) {
		free(d.serial);
		return -ENOMEM;
	}
	return 0;
}

/* A line of n bytes starting with '['; seedd refuses it without ']' or under 3 bytes. */
static int
header(struct seedd_conf *s, const char *p, size_t n, unsigned line)
{
	const char *close = memchr(p, ']', n);
	size_t k = sizeof(DEVICE_PREFIX) - 1;
	size_t name_len;

	if (close == NULL || n < 3) {
		s->bad_line = line;
		return 0;
	}
	name_len = close - p - 1;
	if (name_len < k || memcmp(p + 1, DEVICE_PREFIX, k) != 0)
		return 0;
	return add_device(s, p + 1 + k, name_len - k, line);
}

/* Sorts the devices by serial and keeps each serial's first section. */
static void
sort_devices(struct seedd_conf *s)
{
	size_t n = 0;

	if (s->n_devices == 0)
		return;
	qsort(s->devices, s->n_devices, sizeof(*s->devices), device_cmp);
	for (size_t i = 0; i < s->n_devices; i++) {
		if (n > 0 && strcmp(s->devices[n - 1].serial,
		    s->devices[i].serial) == 0) {
			free(s->devices[i].serial);
			continue;
		}
		s->devices[n++] = s->devices[i];
	}
	s->n_devices = n;
}

/* The end of the line starting at i: its first '\n' or '\r', or len. */
static size_t
line_end(const char *buf, size_t len, size_t i)
{
	const char *nl = memchr(buf + i, '\n', len - i);
	const char *cr = memchr(buf + i, '\r', len - i);
	const char *e = nl == NULL ? cr : cr == NULL || nl < cr ? nl : cr;

	return e == NULL ? len : (size_t)(e - buf);
}

int
seedd_parse(const char *file, const char *buf, size_t len,
    struct seedd_conf *ret)
{
	_cleanup_(seedd_conf_done) struct seedd_conf s = { 0 };
	unsigned line = 1;
	size_t i = 0;
	int r;

	s.file = strdup(file);
	if (s.file == NULL)
		return -ENOMEM;
	while (i < len && s.bad_line == 0) {
		size_t e;

		if (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' ||
		    buf[i] == '\n') {
			line += buf[i] == '\n';
			i++;
			continue;
		}
		e = line_end(buf, len, i);
		if (buf[i] == '[') {
			r = header(&s, buf + i, e - i, line);
			if (r < 0)
				return r;
		}
		i = e;
	}
	sort_devices(&s);
	*ret = s;
	s = (struct seedd_conf){ 0 };
	return 0;
}

int
seedd_load(const char *path, struct seedd_conf *ret)
{
	_cleanup_free_ char *buf = NULL;
	/* O_NONBLOCK: a FIFO in its place is refused, not waited on. */
	_cleanup_close_ int fd = open(path,
	    O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	size_t len;
	int r;

	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	r = read_fd(fd, st.st_size, SEEDD_FILE_MAX, &buf, &len);
	if (r < 0)
		return r;
	return seedd_parse(path, buf, len, ret);
}

const struct seedd_device *
seedd_find(const struct seedd_conf *s, const char *serial)
{
	struct seedd_device key = { .serial = (char *)serial, .line = 0 };
	size_t i;

	i = lower_bound(s->devices, s->n_devices, sizeof(*s->devices), &key,
	    device_cmp);
	if (i < s->n_devices && strcmp(s->devices[i].serial, serial) == 0)
		return &s->devices[i];
	return NULL;
}
