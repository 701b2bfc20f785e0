#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct usb_id;

struct usbdev_addr {
	unsigned bus;
	unsigned dev;
	uint16_t vendor;
	uint16_t product;
};

/* A present USB device (subsystem usb, devtype usb_device). */
struct usbdev {
	char *serial;           /* NULL: none, or one we cannot use as an identity */
	uint16_t vendor;
	uint16_t product;
	unsigned bus;
	unsigned dev;
	const char *shared;     /* a serial other plugged devices have too (serial is then NULL); in udevsnap.shared */
	char *port;             /* the physical address, the sysname: "3-2", "5-2.3" */
	char *syspath;
};

struct udevsnap {
	struct usbdev *v;       /* sorted by bus, then dev */
	size_t n;
	char **shared;          /* serials on more than one device (whose serial is NULL), sorted */
	size_t n_shared;
	struct usbdev_addr *others;     /* present USB devices of types not managed, by bus:dev */
	size_t n_others;
};

/*
 * Collects the present USB devices whose vendor:product is one of ids.
 * A device whose serial is not 1-126 printable ASCII characters is kept
 * with serial NULL, and a warning is logged. Logs failures. On failure
 * *ret_snap is untouched. Returns 0 or -errno.
 */
int udevsnap_collect(const struct usb_id *ids, size_t n_ids,
    struct udevsnap *ret_snap);
void udevsnap_done(struct udevsnap *snap);      /* frees the contents, not the struct */

/* Compares two struct usbdev by bus, then dev: the order of udevsnap.v. */
int usbdev_addr_cmp(const void *x, const void *y);
/* Compares two pointers to struct usbdev pointers by serial (not NULL), for sort_ptrs(). */
int usbdev_serial_cmp(const void *x, const void *y);

/* True when serial is on more than one present device: none of them is assigned. */
bool udevsnap_shared(const struct udevsnap *snap, const char *serial);

/* Lookups; NULL when not present. By address: O(log n). */
const struct usbdev *udevsnap_by_serial(const struct udevsnap *snap,
    const char *serial);
const struct usbdev *udevsnap_by_address(const struct udevsnap *snap,
    unsigned bus, unsigned dev);
/* A present device of a type bbvirt does not manage at bus:dev, or NULL. */
const struct usbdev_addr *udevsnap_other_at(const struct udevsnap *snap,
    unsigned bus, unsigned dev);
const struct usbdev *udevsnap_by_port(const struct udevsnap *snap,
    const char *port);
