#include <errno.h>
#include <stdio.h>
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

static int
encode(const char *prefix, const char *serial, char **ret)
{
	static const char hex[] = "0123456789abcdef";
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

int
alias_encode(const char *serial, bool manual, char **ret)
{
	return encode(manual ? ALIAS_MANUAL_PREFIX : ALIAS_PREFIX, serial, ret);
}

int
alias_encode_port(const char *port, char **ret)
{
	return encode(ALIAS_PORT_PREFIX, port, ret);
}

int
alias_encode_type(uint16_t vendor, uint16_t product, const char *kport,
    char **ret)
{
	char prefix[sizeof(ALIAS_TYPE_PREFIX) + 9];

	(void)snprintf(prefix, sizeof(prefix), "%s%04x%04x-", ALIAS_TYPE_PREFIX,
	    vendor, product);
	return encode(prefix, kport, ret);
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

/* "vvvvpppp-ENCODED" to "vvvv:pppp@PORT". */
static int
decode_type(const char *enc, char **ret)
{
	_cleanup_free_ char *port = NULL;
	int r;

	for (size_t i = 0; i < 8; i++)
		if (hexval(enc[i]) < 0)
			return -EINVAL;
	if (enc[8] != '-')
		return -EINVAL;
	r = decode(enc + 9, &port);
	if (r < 0)
		return r;
	if (asprintf(ret, "%.4s:%.4s@%s", enc, enc + 4, port) < 0)
		return -ENOMEM;
	return 0;
}

/* Every prefix of bbvirt's aliases, and the kind each one marks. */
static const struct {
	const char *prefix;
	enum alias_kind kind;
} ours[] = {
	{ ALIAS_PREFIX, ALIAS_OURS },
	{ ALIAS_MANUAL_PREFIX, ALIAS_MANUAL },
	{ ALIAS_PORT_PREFIX, ALIAS_PORT },
	{ ALIAS_TYPE_PREFIX, ALIAS_TYPE },
};

bool
alias_has_our_prefix(const char *alias)
{
	for (size_t i = 0; alias != NULL && i < ARRAY_SIZE(ours); i++)
		if (strncmp(alias, ours[i].prefix, strlen(ours[i].prefix)) == 0)
			return true;
	return false;
}

bool
alias_prefix_in(const char *text, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(ours); i++)
		if (memmem(text, len, ours[i].prefix,
		    strlen(ours[i].prefix)) != NULL)
			return true;
	return false;
}

int
alias_decode(const char *alias, char **ret_serial)
{
	if (alias == NULL || strncmp(alias, ALIAS_USER_PREFIX,
	    strlen(ALIAS_USER_PREFIX)) != 0)
		return ALIAS_NONE;
	for (size_t i = 0; i < ARRAY_SIZE(ours); i++) {
		size_t n = strlen(ours[i].prefix);
		int r;

		if (strncmp(alias, ours[i].prefix, n) != 0)
			continue;
		r = ours[i].kind == ALIAS_TYPE ? decode_type(alias + n, ret_serial) :
		    decode(alias + n, ret_serial);
		if (r == -ENOMEM)
			return r;
		return r < 0 ? ALIAS_FOREIGN : (int)ours[i].kind;
	}
	return ALIAS_FOREIGN;
}
