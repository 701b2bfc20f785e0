#pragma once

#include <stdbool.h>

#include "util.h"

#define DEVSPEC_BUS_MAX 255
#define DEVSPEC_DEV_MAX 127
#define DEVSPEC_PORT_MAX 255
#define DEVSPEC_DEPTH_MAX 7

enum devspec_kind {
	DEVSPEC_SERIAL,         /* AB12CD */
	DEVSPEC_ADDRESS,        /* BUS:DEV, decimal, the logical address */
	DEVSPEC_PORT,           /* BUS-PORT[.PORT...], the physical address */
	_DEVSPEC_KIND_MAX,
};

struct devspec {
	enum devspec_kind kind;
	unsigned bus;
	unsigned dev;                   /* DEVSPEC_ADDRESS */
	char text[SERIAL_MAX + 1];      /* the serial, or the port path as given (canonical) */
};

/*
 * Parses a device as the original bbvirt took it. A string made only of
 * digits, ':', '-' and '.' that holds ':' or '-' is an address and must be
 * well formed; anything else must be a valid serial. Returns 0, -EINVAL or
 * -ERANGE.
 */
int devspec_parse(const char *s, struct devspec *ret);
