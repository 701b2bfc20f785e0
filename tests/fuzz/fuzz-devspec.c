/*
 * libFuzzer: device specs and alias decoding, from a NUL-terminated copy.
 * A port path parses again to itself, and an alias that decodes encodes
 * back to the very same alias.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alias.h"
#include "devspec.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_devspec(const char *s)
{
	struct devspec spec;
	struct devspec again;
	int r;

	r = devspec_parse(s, &spec);
	if (r != 0 && r != -EINVAL && r != -ERANGE)
		abort();
	if (r < 0)
		return;
	if (strlen(spec.text) > SERIAL_MAX)
		abort();
	if (spec.kind == DEVSPEC_SERIAL && strcmp(spec.text, s) != 0)
		abort();
	if (devspec_parse(spec.text, &again) != 0 || again.kind != spec.kind ||
	    again.bus != spec.bus || again.dev != spec.dev ||
	    strcmp(again.text, spec.text) != 0)
		abort();
}

static void
check_alias(const char *s)
{
	_cleanup_free_ char *serial = NULL;
	_cleanup_free_ char *again = NULL;
	int kind;

	unsigned vendor;
	unsigned product;
	int n = 0;
	int r;

	kind = alias_decode(s, &serial);
	switch (kind) {
	case ALIAS_OURS:
	case ALIAS_MANUAL:
		r = alias_encode(serial, kind == ALIAS_MANUAL, &again);
		break;
	case ALIAS_PORT:
		r = alias_encode_port(serial, &again);
		break;
	case ALIAS_TYPE:
		/* Decoded as "vvvv:pppp@PORT": every alias has one spelling. */
		if (sscanf(serial, "%4x:%4x@%n", &vendor, &product, &n) != 2 ||
		    n != 10)
			abort();
		r = alias_encode_type(vendor, product, serial + n, &again);
		break;
	default:
		if (serial != NULL || kind < 0 || kind >= _ALIAS_KIND_MAX)
			abort();
		return;
	}
	if (r != 0 || strcmp(again, s) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *s = malloc(size + 1);

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	check_devspec(s);
	check_alias(s);
	return 0;
}
