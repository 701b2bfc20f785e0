#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alias.h"
#include "util.h"

static bool
plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

int
alias_encode(const char *serial, bool manual, char **ret)
{
	static const char hex[] = "0123456789abcdef";
	const char *prefix = manual ? ALIAS_MANUAL_PREFIX : ALIAS_PREFIX;
	size_t o = strlen(prefix);
	char *a;

	if (!serial_valid(serial))
		return -EINVAL;
	a = malloc(o + 3 * strlen(serial) + 1);
	if (a == NULL)
		return -ENOMEM;
	memcpy(a, prefix, o);
	for (const unsigned char *s = (const unsigned char *)serial; *s != '\0';
	    s++) {
		if (plain(*s)) {
			a[o++] = *s;
			continue;
		}
		a[o++] = '-';
		a[o++] = hex[*s >> 4];
		a[o++] = hex[*s & 0xf];
	}
	a[o] = '\0';
	*ret = a;
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;      /* uppercase is not canonical */
}

/* Decodes exactly what alias_encode() writes, and nothing else. */
static int
decode(const char *enc, char **ret)
{
	_cleanup_free_ char *s = malloc(strlen(enc) + 1);
	size_t o = 0;

	if (s == NULL)
		return -ENOMEM;
	for (size_t i = 0; enc[i] != '\0'; i++) {
		int hi;
		int lo;

		if (plain(enc[i])) {
			s[o++] = enc[i];
			continue;
		}
		if (enc[i] != '-' || (hi = hexval(enc[i + 1])) < 0 ||
		    (lo = hexval(enc[i + 2])) < 0)
			return -EINVAL;
		s[o] = (char)(hi << 4 | lo);
		if (plain((unsigned char)s[o]) || s[o] == '\0')
			return -EINVAL;
		o++;
		i += 2;
	}
	s[o] = '\0';
	if (!serial_valid(s))
		return -EINVAL;
	*ret = TAKE_PTR(s);
	return 0;
}

int
alias_decode(const char *alias, char **ret_serial)
{
	static const struct {
		const char *prefix;
		enum alias_kind kind;
	} ours[] = {
		{ ALIAS_PREFIX, ALIAS_OURS },
		{ ALIAS_MANUAL_PREFIX, ALIAS_MANUAL },
	};

	if (alias == NULL || strncmp(alias, ALIAS_USER_PREFIX,
	    strlen(ALIAS_USER_PREFIX)) != 0)
		return ALIAS_NONE;
	for (size_t i = 0; i < ARRAY_SIZE(ours); i++) {
		size_t n = strlen(ours[i].prefix);
		int r;

		if (strncmp(alias, ours[i].prefix, n) != 0)
			continue;
		r = decode(alias + n, ret_serial);
		if (r == -ENOMEM)
			return r;
		return r < 0 ? ALIAS_FOREIGN : (int)ours[i].kind;
	}
	return ALIAS_FOREIGN;
}
