/*
 * libFuzzer: seedd's section headers through seedd_parse(), from a
 * buffer. What it returns holds together: sorted distinct usable serials
 * on lines the input has, each found again by seedd_find(), and no
 * device line before the first one.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "seedd.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const struct seedd_conf *s, const char *buf, size_t len)
{
	size_t lines = 1;

	for (size_t i = 0; i < len; i++)
		lines += buf[i] == '\n';
	if (s->bad_line > lines || s->first_device_line > lines)
		abort();
	if (s->n_devices > 0 && s->first_device_line == 0)
		abort();
	for (size_t i = 0; i < s->n_devices; i++) {
		const struct seedd_device *d = &s->devices[i];

		if (!serial_valid(d->serial) || d->line < s->first_device_line ||
		    d->line > lines || seedd_find(s, d->serial) != d)
			abort();
		if (i > 0 && strcmp(s->devices[i - 1].serial, d->serial) >= 0)
			abort();
		/* A name is what the input holds after "[Device:". */
		if (memmem(buf, len, d->serial, strlen(d->serial)) == NULL)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(seedd_conf_done) struct seedd_conf s = { 0 };
	int r;

	r = seedd_parse("fuzz.conf", (const char *)data, size, &s);
	if (r == -ENOMEM || r == -E2BIG)
		return 0;
	if (r != 0)
		abort();
	check(&s, (const char *)data, size);
	return 0;
}
