#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "devspec.h"

/* "3", "003": a decimal number in [1, max], any zero padding allowed. */
static int
number(const char *s, size_t n, unsigned max, unsigned *ret)
{
	char buf[24];
	unsigned long long v;
	int r;

	if (n == 0 || strspn(s, "0123456789") < n)
		return -EINVAL;
	while (n > 1 && s[0] == '0') {
		s++;
		n--;
	}
	/* Without its padding, a number this long is out of any range. */
	if (n >= sizeof(buf))
		return -ERANGE;
	memcpy(buf, s, n);
	buf[n] = '\0';
	r = parse_uint(buf, 10, 1, max, &v);
	if (r < 0)
		return r;
	*ret = v;
	return 0;
}

/* Every ':', '-' and '.' sits between two digits. */
static bool
well_formed(const char *s)
{
	bool digit = false;

	for (; *s != '\0'; s++) {
		if (*s >= '0' && *s <= '9') {
			digit = true;
			continue;
		}
		if (!digit)
			return false;
		digit = false;
	}
	return digit;
}

/* BUS:DEV */
static int
parse_address(const char *s, struct devspec *d)
{
	const char *colon = strchr(s, ':');
	int r;

	if (strchr(colon + 1, ':') != NULL || strpbrk(s, "-.") != NULL)
		return -EINVAL;
	r = number(s, colon - s, DEVSPEC_BUS_MAX, &d->bus);
	if (r < 0)
		return r;
	r = number(colon + 1, strlen(colon + 1), DEVSPEC_DEV_MAX, &d->dev);
	if (r < 0)
		return r;
	d->kind = DEVSPEC_ADDRESS;
	(void)snprintf(d->text, sizeof(d->text), "%u:%u", d->bus, d->dev);
	return 0;
}

_Static_assert(sizeof(((struct devspec *)0)->text) >
    3 + 4 * DEVSPEC_DEPTH_MAX, "a port path must fit in text");

/* BUS-PORT[.PORT...], written back without zero padding, as sysfs names it. */
static int
parse_port(const char *s, struct devspec *d)
{
	const char *dash = strchr(s, '-');
	const char *p = dash + 1;
	size_t depth = 1;
	size_t o;
	int r;

	if (strchr(p, '-') != NULL || memchr(s, '.', dash - s) != NULL)
		return -EINVAL;
	for (const char *c = p; *c != '\0'; c++)
		depth += *c == '.';
	if (depth > DEVSPEC_DEPTH_MAX)
		return -ERANGE;
	r = number(s, dash - s, DEVSPEC_BUS_MAX, &d->bus);
	if (r < 0)
		return r;
	/* At most "255" and DEVSPEC_DEPTH_MAX ".255": text cannot be cut. */
	o = (size_t)snprintf(d->text, sizeof(d->text), "%u", d->bus);
	for (char sep = '-';; sep = '.') {
		size_t n = strcspn(p, ".");
		unsigned port;

		r = number(p, n, DEVSPEC_PORT_MAX, &port);
		if (r < 0)
			return r;
		o += (size_t)snprintf(d->text + o, sizeof(d->text) - o,
		    "%c%u", sep, port);
		if (p[n] == '\0')
			break;
		p += n + 1;
	}
	d->kind = DEVSPEC_PORT;
	return 0;
}

int
devspec_parse(const char *s, struct devspec *ret)
{
	struct devspec d = { 0 };
	int r;

	if (s[strspn(s, "0123456789:-.")] == '\0' && strpbrk(s, ":-") != NULL) {
		if (!well_formed(s))
			return -EINVAL;
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
