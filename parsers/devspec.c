#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "devspec.h"

/* "3", "003": a decimal number in [1, max]. */
static int
number(const char *s, size_t n, unsigned max, unsigned *ret)
{
	char buf[24];
	unsigned long long v;
	int r;

	if (n == 0 || n >= sizeof(buf))
		return n == 0 ? -EINVAL : -ERANGE;
	memcpy(buf, s, n);
	buf[n] = '\0';
	r = parse_uint(buf, 10, 1, max, &v);
	if (r < 0)
		return r;
	*ret = v;
	return 0;
}

static int
parse_address(const char *s, struct devspec *ret)
{
	const char *colon = strchr(s, ':');
	int r;

	if (strchr(colon + 1, ':') != NULL || strchr(s, '-') != NULL ||
	    strchr(s, '.') != NULL)
		return -EINVAL;
	r = number(s, colon - s, DEVSPEC_BUS_MAX, &ret->bus);
	if (r < 0)
		return r;
	r = number(colon + 1, strlen(colon + 1), DEVSPEC_DEV_MAX, &ret->dev);
	if (r < 0)
		return r;
	ret->kind = DEVSPEC_ADDRESS;
	(void)snprintf(ret->text, sizeof(ret->text), "%u:%u", ret->bus,
	    ret->dev);
	return 0;
}

/* BUS-PORT[.PORT...], written back without leading zeros as sysfs names it. */
static int
parse_port(const char *s, struct devspec *ret)
{
	const char *dash = strchr(s, '-');
	const char *p = dash + 1;
	unsigned depth = 0;
	size_t o;
	int r;

	if (strchr(p, '-') != NULL)
		return -EINVAL;
	r = number(s, dash - s, DEVSPEC_BUS_MAX, &ret->bus);
	if (r < 0)
		return r;
	o = (size_t)snprintf(ret->text, sizeof(ret->text), "%u", ret->bus);
	for (char sep = '-';; sep = '.') {
		size_t n = strcspn(p, ".");
		unsigned port;

		r = number(p, n, DEVSPEC_PORT_MAX, &port);
		if (r < 0)
			return r;
		if (++depth > DEVSPEC_DEPTH_MAX)
			return -ERANGE;
		o += (size_t)snprintf(ret->text + o, sizeof(ret->text) - o,
		    "%c%u", sep, port);
		if (p[n] == '\0')
			break;
		p += n + 1;
	}
	ret->kind = DEVSPEC_PORT;
	ret->dev = 0;
	return 0;
}

int
devspec_parse(const char *s, struct devspec *ret)
{
	struct devspec d = { 0 };
	int r;

	if (s[strspn(s, "0123456789:-.")] == '\0' && strpbrk(s, ":-") != NULL) {
		r = strchr(s, ':') != NULL ? parse_address(s, &d) :
		    parse_port(s, &d);
		if (r < 0)
			return r;
		*ret = d;
		return 0;
	}
	if (!serial_valid(s))
		return -EINVAL;
	d.kind = DEVSPEC_SERIAL;
	memcpy(d.text, s, strlen(s) + 1);
	*ret = d;
	return 0;
}
