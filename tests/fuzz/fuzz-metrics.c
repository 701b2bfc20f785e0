/*
 * libFuzzer: the metrics text of a status made of the input. The input is
 * NUL-separated fields, four names (serial, port, assigned domain,
 * holding domain) and a state byte per device. Every label value of the
 * text is valid UTF-8 with only the format's escapes, and a name that is
 * UTF-8 without control characters but the newline reads back as itself.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "metrics-priv.h"
#include "plan.h"
#include "status.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DEVICES_MAX 16

/* The length of the valid UTF-8 sequence at s[0..n), or 0. */
static size_t
utf8_at(const unsigned char *s, size_t n)
{
	unsigned cp;
	size_t k = s[0] < 0x80 ? 1 : s[0] >= 0xc2 && s[0] <= 0xdf ? 2 :
	    s[0] >= 0xe0 && s[0] <= 0xef ? 3 : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : 0;

	if (k == 0 || k > n)
		return 0;
	cp = k == 1 ? s[0] : s[0] & (0x7f >> k);
	for (size_t j = 1; j < k; j++) {
		if ((s[j] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[j] & 0x3f);
	}
	if ((k == 2 && cp < 0x80) || (k == 3 && cp < 0x800) ||
	    (k == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return k;
}

static bool
utf8_plain(const char *s, bool controls)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);

	for (size_t i = 0, k; i < n; i += k) {
		k = utf8_at(p + i, n - i);
		if (k == 0 || (!controls && ((p[i] < ' ' && p[i] != '\n') ||
		    p[i] == 0x7f)))
			return false;
	}
	return true;
}

/* The label value e (escaped) as the format reads it, into out. */
static void
unescape(const char *e, char *out)
{
	for (; *e != '\0'; e++) {
		if (*e == '\\') {
			e++;
			if (*e != '\\' && *e != '"' && *e != 'n')
				abort();
			*out++ = *e == 'n' ? '\n' : *e;
		} else {
			if (*e == '"' || *e == '\n')
				abort();
			*out++ = *e;
		}
	}
	*out = '\0';
}

static void
check_escape(const char *s)
{
	_cleanup_free_ char *e = metrics_label_escape(s);
	_cleanup_free_ char *back = NULL;

	if (e == NULL)
		abort();
	if (!utf8_plain(e, false))
		abort();
	back = malloc(strlen(e) + 1);
	if (back == NULL)
		abort();
	unescape(e, back);
	if (utf8_plain(s, false) && strcmp(back, s) != 0)
		abort();
}

/* Each sample's label values end at an unescaped quote, on their line. */
static void
check_text(const char *t, size_t len)
{
	if (len == 0 || t[len - 1] != '\n' || strlen(t) != len ||
	    !utf8_plain(t, true))
		abort();
	for (const char *p = t; *p != '\0'; p++) {
		if (*p != '"')
			continue;
		for (p++; *p != '"'; p++) {
			if (*p == '\n' || *p == '\0')
				abort();
			if (*p == '\\' && p[1] != '\\' && p[1] != '"' && p[1] != 'n')
				abort();
			if (*p == '\\')
				p++;
		}
	}
}

/* The next NUL-terminated field of the input, or "" at its end. */
static const char *
field(const char **p, const char *end)
{
	const char *s = *p;

	if (s >= end)
		return "";
	*p += strlen(s) + 1;
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct status_device devs[DEVICES_MAX] = { 0 };
	struct status st = { .devices = devs };
	struct plan_action acts[2] = {
		{ .op = PLAN_ATTACH, .result = PLAN_FAILED },
		{ .op = PLAN_DETACH, .result = PLAN_DONE },
	};
	struct plan plan = { .v = acts, .n = 2 };
	struct metrics_sync m = { .status = &st, .plan = &plan,
	    .end_usec = size, .success = size % 2 };
	_cleanup_free_ char *buf = malloc(size + 1);
	_cleanup_free_ char *text = NULL;
	const char *p = buf;
	const char *end;
	size_t len;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	end = buf + size;
	while (p < end && st.n_devices < DEVICES_MAX) {
		struct status_device *d = &devs[st.n_devices++];

		d->serial = (char *)field(&p, end);
		d->port = (char *)field(&p, end);
		d->assigned = (char *)field(&p, end);
		d->attached = (char *)field(&p, end);
		d->state = (unsigned char)*field(&p, end) % _STATUS_STATE_MAX;
		check_escape(d->serial);
		check_escape(d->assigned);
	}
	if (metrics_render(&m, &text, &len) < 0)
		abort();
	check_text(text, len);
	return 0;
}
