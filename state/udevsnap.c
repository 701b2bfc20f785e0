#include <errno.h>
#include <libudev.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "log.h"
#include "udevsnap.h"
#include "util.h"

#define USBDEVS_MAX 4096

DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev *, udev_unref)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev_enumerate *, udev_enumerate_unref)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev_device *, udev_device_unref)

static void
usbdev_done(struct usbdev *d)
{
	free(d->serial);
	free(d->port);
	free(d->syspath);
}

void
udevsnap_done(struct udevsnap *snap)
{
	for (size_t i = 0; i < snap->n; i++)
		usbdev_done(&snap->v[i]);
	free(snap->v);
	for (size_t i = 0; i < snap->n_shared; i++)
		free(snap->shared[i]);
	free(snap->shared);
	free(snap->others);
	*snap = (struct udevsnap){ 0 };
}

static bool
attr_uint(struct udev_device *d, const char *name, int base,
    unsigned long long max, unsigned long long *ret)
{
	const char *v = udev_device_get_sysattr_value(d, name);

	return v != NULL && parse_uint(v, base, base == 16 ? 0 : 1, max,
	    ret) == 0;
}

static bool
managed(const struct usb_id *ids, size_t n, unsigned long long v,
    unsigned long long p)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i].vendor == v && ids[i].product == p)
			return true;
	return false;
}

/* Remembers where a device of a type not managed is, to refuse its address. */
static int
add_other(struct udevsnap *snap, struct udev_device *d, unsigned long long v,
    unsigned long long p)
{
	unsigned long long bus;
	unsigned long long dev;
	struct usbdev_addr *a;

	if (snap->n_others >= USBDEVS_MAX)
		return 0;
	if (!attr_uint(d, "busnum", 10, 255, &bus) ||
	    !attr_uint(d, "devnum", 10, 127, &dev))
		return 0;
	a = reallocarray(snap->others, snap->n_others + 1, sizeof(*a));
	if (a == NULL)
		return -ENOMEM;
	snap->others = a;
	a[snap->n_others++] = (struct usbdev_addr){ bus, dev, v, p };
	return 0;
}

/* Sysfs text is hostile: anything malformed is skipped, with a warning. Returns 1 kept, 0 skipped. */
static int
read_device(struct udevsnap *snap, struct udev_device *d,
    const struct usb_id *ids, size_t n_ids, struct usbdev *ret)
{
	const char *path = udev_device_get_syspath(d);
	const char *serial;
	unsigned long long v;
	unsigned long long p;
	unsigned long long bus;
	unsigned long long dev;
	struct usbdev u = { 0 };

	if (!attr_uint(d, "idVendor", 16, 0xffff, &v) ||
	    !attr_uint(d, "idProduct", 16, 0xffff, &p))
		return 0;       /* not one we could manage anyway */
	if (!managed(ids, n_ids, v, p))
		return add_other(snap, d, v, p);
	if (!attr_uint(d, "busnum", 10, 255, &bus) ||
	    !attr_uint(d, "devnum", 10, 127, &dev)) {
		log_warning("%s: unreadable busnum or devnum, skipping", path);
		return 0;
	}
	u.vendor = v;
	u.product = p;
	u.bus = bus;
	u.dev = dev;
	serial = udev_device_get_sysattr_value(d, "serial");
	if (serial != NULL && !serial_valid(serial))
		log_warning("%s: serial number is not 1-126 printable ASCII characters; the device cannot be assigned",
		    path);
	else if (serial != NULL && (u.serial = strdup(serial)) == NULL)
		return -ENOMEM;
	u.port = strdup(udev_device_get_sysname(d));
	u.syspath = strdup(path);
	if (u.port == NULL || u.syspath == NULL) {
		usbdev_done(&u);
		return -ENOMEM;
	}
	*ret = u;
	return 1;
}

int
usbdev_addr_cmp(const void *x, const void *y)
{
	const struct usbdev *a = x;
	const struct usbdev *b = y;

	if (a->bus != b->bus)
		return a->bus < b->bus ? -1 : 1;
	return a->dev < b->dev ? -1 : a->dev > b->dev;
}

static int
usbdev_addr_cmp2(const void *x, const void *y)
{
	const struct usbdev_addr *a = x;
	const struct usbdev_addr *b = y;

	if (a->bus != b->bus)
		return a->bus < b->bus ? -1 : 1;
	return a->dev < b->dev ? -1 : a->dev > b->dev;
}

int
usbdev_serial_cmp(const void *x, const void *y)
{
	const struct usbdev *const *a = x;
	const struct usbdev *const *b = y;

	return strcmp((*a)->serial, (*b)->serial);
}

/*
 * A serial is an identity: when two plugged-in devices share one (cheap
 * clones do), neither can be told apart, so neither is assigned. Sorts
 * pointers by serial: O(n log n) for the thousands of devices of a big
 * host. Returns 0 or -ENOMEM.
 */
static int
drop_shared_serials(struct udevsnap *snap)
{
	_cleanup_free_ struct usbdev **v = calloc(snap->n, sizeof(*v));
	size_t n = 0;

	if (v == NULL && snap->n > 0)
		return -ENOMEM;
	for (size_t i = 0; i < snap->n; i++)
		if (snap->v[i].serial != NULL)
			v[n++] = &snap->v[i];
	/* Equal serials stay in bus:dev order, for the warnings. */
	sort_ptrs(v, n, usbdev_serial_cmp);
	for (size_t i = 0; i < n;) {
		size_t k = i + 1;

		while (k < n && strcmp(v[k]->serial, v[i]->serial) == 0) {
			log_warning("serial '%s' is on both %u:%u and %u:%u; neither can be assigned",
			    v[i]->serial, v[i]->bus, v[i]->dev, v[k]->bus,
			    v[k]->dev);
			k++;
		}
		/* The first string moves to the shared list; the others go. */
		if (k > i + 1) {
			char **s = reallocarray(snap->shared, snap->n_shared + 1,
			    sizeof(*s));

			if (s == NULL)
				return -ENOMEM;
			snap->shared = s;
			s[snap->n_shared++] = TAKE_PTR(v[i]->serial);
			v[i]->shared = s[snap->n_shared - 1];
			for (size_t j = i + 1; j < k; j++) {
				v[j]->serial = mfree(v[j]->serial);
				v[j]->shared = v[i]->shared;
			}
		}
		i = k;
	}
	return 0;
}

int
udevsnap_collect(const struct usb_id *ids, size_t n_ids,
    struct udevsnap *ret_snap)
{
	_cleanup_(udev_unrefp) struct udev *udev = udev_new();
	_cleanup_(udev_enumerate_unrefp) struct udev_enumerate *e = NULL;
	_cleanup_(udevsnap_done) struct udevsnap snap = { 0 };
	struct udev_list_entry *entry;

	if (udev == NULL || (e = udev_enumerate_new(udev)) == NULL)
		return log_error_errno(-ENOMEM, "cannot start libudev");
	if (udev_enumerate_add_match_subsystem(e, "usb") < 0 ||
	    udev_enumerate_add_match_property(e, "DEVTYPE", "usb_device") < 0)
		return log_error_errno(-ENOMEM, "cannot set up the USB enumeration");
	if (udev_enumerate_scan_devices(e) < 0)
		return log_error_errno(-EIO, "cannot enumerate USB devices");
	udev_list_entry_foreach(entry, udev_enumerate_get_list_entry(e)) {
		_cleanup_(udev_device_unrefp) struct udev_device *d = NULL;
		struct usbdev *v;
		int r;

		d = udev_device_new_from_syspath(udev,
		    udev_list_entry_get_name(entry));
		if (d == NULL)
			continue;       /* gone since the scan */
		if (snap.n >= USBDEVS_MAX)
			return log_error_errno(-E2BIG,
			    "more than %d managed USB devices", USBDEVS_MAX);
		v = reallocarray(snap.v, snap.n + 1, sizeof(*v));
		if (v == NULL)
			return log_error_errno(-ENOMEM, "out of memory");
		snap.v = v;
		r = read_device(&snap, d, ids, n_ids, &snap.v[snap.n]);
		if (r < 0)
			return log_error_errno(r, "out of memory");
		snap.n += r;
	}
	if (snap.n > 0)
		qsort(snap.v, snap.n, sizeof(*snap.v), usbdev_addr_cmp);
	if (snap.n_others > 0)
		qsort(snap.others, snap.n_others, sizeof(*snap.others),
		    usbdev_addr_cmp2);
	if (drop_shared_serials(&snap) < 0)
		return log_error_errno(-ENOMEM, "out of memory");
	*ret_snap = snap;
	snap = (struct udevsnap){ 0 };
	return 0;
}

bool
udevsnap_shared(const struct udevsnap *snap, const char *serial)
{
	return snap->n_shared > 0 && bsearch(&serial, snap->shared,
	    snap->n_shared, sizeof(*snap->shared), strcmp_ptr) != NULL;
}

const struct usbdev *
udevsnap_by_serial(const struct udevsnap *snap, const char *serial)
{
	for (size_t i = 0; i < snap->n; i++)
		if (snap->v[i].serial != NULL &&
		    strcmp(snap->v[i].serial, serial) == 0)
			return &snap->v[i];
	return NULL;
}

const struct usbdev *
udevsnap_by_address(const struct udevsnap *snap, unsigned bus, unsigned dev)
{
	const struct usbdev k = { .bus = bus, .dev = dev };

	return snap->n > 0 ? bsearch(&k, snap->v, snap->n, sizeof(*snap->v),
	    usbdev_addr_cmp) : NULL;
}

const struct usbdev_addr *
udevsnap_other_at(const struct udevsnap *snap, unsigned bus, unsigned dev)
{
	const struct usbdev_addr k = { .bus = bus, .dev = dev };

	return snap->n_others > 0 ? bsearch(&k, snap->others, snap->n_others,
	    sizeof(*snap->others), usbdev_addr_cmp2) : NULL;
}

const struct usbdev *
udevsnap_by_port(const struct udevsnap *snap, const char *port)
{
	for (size_t i = 0; i < snap->n; i++)
		if (strcmp(snap->v[i].port, port) == 0)
			return &snap->v[i];
	return NULL;
}
