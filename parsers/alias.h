#pragma once

#include <stdbool.h>

/*
 * bbvirt marks each hostdev it attaches with a libvirt user alias that
 * carries the device's serial: "ua-bbvirt-" for an attachment the config
 * asks for, "ua-bbmanual-" for one a human lent with -D against it. Serial
 * characters outside [A-Za-z0-9_] are written as '-' and two lowercase hex
 * digits, so the alias stays within libvirt's [A-Za-z0-9_-] and decodes to
 * exactly one serial.
 */
#define ALIAS_PREFIX "ua-bbvirt-"
#define ALIAS_MANUAL_PREFIX "ua-bbmanual-"
#define ALIAS_USER_PREFIX "ua-"
#define ALIAS_MAX (sizeof(ALIAS_MANUAL_PREFIX) + 3 * 126)

enum alias_kind {
	ALIAS_NONE,             /* no alias, or one libvirt generated */
	ALIAS_OURS,             /* ua-bbvirt-SERIAL */
	ALIAS_MANUAL,           /* ua-bbmanual-SERIAL */
	ALIAS_FOREIGN,          /* another ua- alias, or one of ours that does not decode */
	_ALIAS_KIND_MAX,
};

/* Builds the alias for a valid serial. Returns 0, -EINVAL or -ENOMEM; *ret is the caller's. */
int alias_encode(const char *serial, bool manual, char **ret);

/*
 * Classifies alias (may be NULL). For ALIAS_OURS and ALIAS_MANUAL, stores
 * the decoded serial in *ret_serial (the caller's), else leaves it alone.
 * Returns the kind, or -ENOMEM.
 */
int alias_decode(const char *alias, char **ret_serial);
