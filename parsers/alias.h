#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
/* A port rule's: "ua-bbport-" and the port as configured, encoded. */
#define ALIAS_PORT_PREFIX "ua-bbport-"
/* A type rule's: "ua-bbtype-", vvvvpppp, '-' and the kernel port where attached, encoded. */
#define ALIAS_TYPE_PREFIX "ua-bbtype-"
#define ALIAS_USER_PREFIX "ua-"
#define ALIAS_MAX (sizeof(ALIAS_TYPE_PREFIX) + 9 + 3 * 126)

enum alias_kind {
	ALIAS_NONE,             /* no alias, or one libvirt generated */
	ALIAS_OURS,             /* ua-bbvirt-SERIAL */
	ALIAS_MANUAL,           /* ua-bbmanual-SERIAL */
	ALIAS_PORT,             /* ua-bbport-PORT */
	ALIAS_TYPE,             /* ua-bbtype-VVVVPPPP-PORT */
	ALIAS_FOREIGN,          /* another ua- alias, or one of ours that does not decode */
	_ALIAS_KIND_MAX,
};

/* Builds the alias for a valid serial. Returns 0, -EINVAL or -ENOMEM; *ret is the caller's. */
int alias_encode(const char *serial, bool manual, char **ret);

/* The alias of a port rule for port (as configured), and of a type rule for a device of that type at the kernel port kport. */
int alias_encode_port(const char *port, char **ret);
int alias_encode_type(uint16_t vendor, uint16_t product, const char *kport,
    char **ret);

/*
 * Classifies alias (may be NULL). For ALIAS_OURS and ALIAS_MANUAL, stores
 * the decoded serial in *ret_serial (the caller's); for ALIAS_PORT the
 * port; for ALIAS_TYPE "vvvv:pppp@KPORT"; else leaves it alone.
 * Returns the kind, or -ENOMEM.
 */
int alias_decode(const char *alias, char **ret_serial);

/* Whether alias (may be NULL) begins as one of bbvirt's, decodable or not. */
bool alias_has_our_prefix(const char *alias);
/* Whether any prefix of bbvirt's aliases occurs in the len bytes of text. */
bool alias_prefix_in(const char *text, size_t len);
