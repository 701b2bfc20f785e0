#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct usb_id;

#define USB_CLASS_HUB 0x09

/* A present USB device (subsystem usb, devtype usb_device). */
struct usbdev {
	char *serial;           /* NULL: none, unusable, or of a type whose serials bbvirt does not manage */
	char *other_serial;     /* with UDEVSNAP_ALL_SERIALS, a type not managed: its serial, for status to show */
	uint16_t vendor;
	uint16_t product;
	uint8_t class;          /* bDeviceClass: USB_CLASS_HUB for a hub, 0 when its interfaces say */
	bool managed;           /* of a type whose serials bbvirt manages */
	double speed;           /* Mb/s, as the kernel says (1.5, 12, 480, 5000…); 0: unknown */
	bool usbfs;             /* an interface is bound to usbfs: a process (QEMU, seedd, any libusb program) holds it */
	unsigned bus;
	unsigned dev;
	char *port;             /* the kernel's port path, the sysname: "3-2", "5-2.3" ("usb3": a root hub) */
	char *path;             /* the stable path, udev's ID_PATH: "pci-0000:00:14.0-usb-0:2"; NULL: unknown */
	char *peer_port;        /* the other half (USB 2 or 3) of its connector, kernel form; NULL: none */
	char *peer_path;        /* that half's stable path; NULL: none, or unknown */
	const char *connector;  /* the connector's one name: the smaller stable path of its halves, else the smaller kernel form */
	char *syspath;
};

struct udevsnap {
	struct usbdev *v;       /* every present USB device, sorted by bus, then dev */
	size_t n;
};

/*
 * Collects every present USB device; ids are the types whose serials
 * bbvirt manages (usbdev.managed): only theirs are read. The other halves
 * of connectors are read only with UDEVSNAP_PEERS (they cost two links a
 * device, and only port rules and status need them); the serials of the
 * types not managed only with UDEVSNAP_ALL_SERIALS, into other_serial
 * (status, to say that a configured serial is plugged in on a type not
 * managed: nothing else looks at it). A managed
 * device whose serial is not 1-126 printable ASCII characters is kept
 * with serial NULL, and a warning is logged. Logs failures. On failure
 * *ret_snap is untouched. Returns 0 or -errno.
 */
#define UDEVSNAP_PEERS 1u
#define UDEVSNAP_ALL_SERIALS 2u
int udevsnap_collect(const struct usb_id *ids, size_t n_ids, unsigned flags,
    struct udevsnap *ret_snap);
void udevsnap_done(struct udevsnap *snap);      /* frees the contents, not the struct */

/*
 * Reads the one USB device whose kernel name is sysname ("3-2.1"), as
 * udevsnap_collect() with peers reads each, without enumerating the
 * others. Returns 1 (read into *ret, the caller's: usbdev_done()), 0
 * when no such device is present or it is one bbvirt cannot read, or
 * -errno (logged).
 */
int udevsnap_one(const struct usb_id *ids, size_t n_ids, const char *sysname,
    struct usbdev *ret);
void usbdev_done(struct usbdev *d);

/*
 * Who holds the device node of bus:dev open, for a device claimed through
 * usbfs: "NAME[PID]" of the first such process found in /proc, into
 * *ret (the caller's). Returns 1, 0 when none is seen (not allowed to
 * look, as outside root or inside the units' sandbox, or gone), or
 * -ENOMEM.
 */
int usbfs_holder(unsigned bus, unsigned dev, char **ret);
/* The same for any path, as readlink() shows it in /proc/PID/fd. */
int proc_holder(const char *path, char **ret);

/* Compares two struct usbdev by bus, then dev: the order of udevsnap.v. */
int usbdev_addr_cmp(const void *x, const void *y);
/* Compares two pointers to struct usbdev pointers by serial (not NULL), for sort_ptrs(). */
int usbdev_serial_cmp(const void *x, const void *y);
/* Whether the device sits at this port, written in kernel or stable form, at either half of its connector. */
bool usbdev_at_port(const struct usbdev *d, const char *port);

/* Lookups; NULL when not present. By address: O(log n). */
/* The first present device with this serial, in bus:dev order. O(n). */
const struct usbdev *udevsnap_by_serial(const struct udevsnap *snap,
    const char *serial);
/* How many present devices have this serial: a serial is an identity only when once. O(n). */
size_t udevsnap_count_serial(const struct udevsnap *snap, const char *serial);
/* Any present device at bus:dev, managed or not. */
const struct usbdev *udevsnap_by_address(const struct udevsnap *snap,
    unsigned bus, unsigned dev);
/* The device whose kernel port path is port, managed or not. */
const struct usbdev *udevsnap_by_port(const struct udevsnap *snap,
    const char *port);
