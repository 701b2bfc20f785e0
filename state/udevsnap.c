#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libudev.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "udevsnap.h"
#include "util.h"

/* As many as Linux can address: 255 buses of 127 devices. */
#define USBDEVS_MAX (255 * 127)
#define SYSFS_PATH_MAX 4096

DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev *, udev_unref)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev_enumerate *, udev_enumerate_unref)
DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev_device *, udev_device_unref)

void
usbdev_done(struct usbdev *d)
{
	free(d->serial);
	free(d->other_serial);
	free(d->port);
	free(d->path);
	free(d->peer_port);
	free(d->peer_path);
	free(d->syspath);
	*d = (struct usbdev){ 0 };
}

void
udevsnap_done(struct udevsnap *snap)
{
	for (size_t i = 0; i < snap->n; i++)
		usbdev_done(&snap->v[i]);
	free(snap->v);
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

/* The kernel's speed in Mb/s ("1.5", "12", "480", "5000"…), 0 when unknown. */
static double
attr_speed(struct udev_device *d)
{
	const char *v = udev_device_get_sysattr_value(d, "speed");
	unsigned long long n;

	if (v == NULL)
		return 0;
	/* Low speed is the one rate that is not whole. */
	if (strcmp(v, "1.5") == 0)
		return 1.5;
	return parse_uint(v, 10, 1, 1000000, &n) == 0 ? (double)n : 0;
}

/*
 * Whether an interface of d, in its active configuration, is bound to
 * usbfs: claimed by a process through libusb (a guest's QEMU, seedd).
 */
static bool
claimed_by_usbfs(struct udev_device *d)
{
	const char *sysname = udev_device_get_sysname(d);
	const char *syspath = udev_device_get_syspath(d);
	unsigned long long cfg;
	unsigned long long n;

	const char *ni = udev_device_get_sysattr_value(d, "bNumInterfaces");

	/* The kernel writes bNumInterfaces as "%2d": " 1". */
	while (ni != NULL && *ni == ' ')
		ni++;
	if (!attr_uint(d, "bConfigurationValue", 10, 255, &cfg) ||
	    ni == NULL || parse_uint(ni, 10, 1, 32, &n) < 0)
		return false;   /* unconfigured: nothing is bound */
	for (unsigned long long i = 0; i < n; i++) {
		_cleanup_(udev_device_unrefp) struct udev_device *intf = NULL;
		char path[PATH_MAX];
		const char *driver;

		if (snprintf(path, sizeof(path), "%s/%s:%llu.%llu", syspath,
		    sysname, cfg, i) >= (int)sizeof(path))
			return false;
		intf = udev_device_new_from_syspath(udev_device_get_udev(d),
		    path);
		driver = intf != NULL ? udev_device_get_driver(intf) : NULL;
		if (driver != NULL && strcmp(driver, "usbfs") == 0)
			return true;
	}
	return false;
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

static bool
streq_opt(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/*
 * What a collection learns once per bus: the name udev's path_id gives
 * its host controller, and whether it is a USB 2 bus. A controller's USB 2
 * and USB 3 sides are two buses, and a bus carries one speed class.
 */
struct bus_info {
	bool known;
	bool usb2;
	char *controller;       /* "pci-0000:00:14.0"; NULL: unknown */
};

struct collect {
	struct udev *udev;
	bool peers;
	bool all_serials;
	struct bus_info bus[256];
};

static void
collect_done(struct collect *c)
{
	for (size_t i = 0; i < ARRAY_SIZE(c->bus); i++)
		free(c->bus[i].controller);
}

/* The first ancestor of d (d included) not in subsystem, or NULL. */
static struct udev_device *
skip_subsystem(struct udev_device *d, const char *subsystem)
{
	while (d != NULL && streq_opt(udev_device_get_subsystem(d), subsystem))
		d = udev_device_get_parent(d);
	return d;
}

/*
 * Learns bus from d, a device on it: its root hub's speed, and its
 * controller's name as path_id writes it, "pci-ADDRESS" or
 * "platform-NAME" (nearer ones first, as path_id prepends them), from
 * the first parents outside subsystem usb. Returns 0 or -ENOMEM.
 */
static int
learn_bus(struct bus_info *b, struct udev_device *d)
{
	_cleanup_free_ char *path = NULL;
	unsigned long long speed;

	b->known = true;
	for (; d != NULL && streq_opt(udev_device_get_subsystem(d), "usb");
	    d = udev_device_get_parent(d)) {
		const char *name = udev_device_get_sysname(d);

		if (name != NULL && strncmp(name, "usb", 3) == 0)
			b->usb2 = attr_uint(d, "speed", 10, 1000000, &speed) &&
			    speed <= 480;
	}
	while (d != NULL) {
		const char *subsystem = udev_device_get_subsystem(d);
		const char *name = udev_device_get_sysname(d);
		char *p;

		if (name == NULL)
			break;
		if (!streq_opt(subsystem, "pci") &&
		    !streq_opt(subsystem, "platform")) {
			d = udev_device_get_parent(d);
			continue;
		}
		if (asprintf(&p, "%s-%s%s%s", subsystem, name,
		    path != NULL ? "-" : "", path != NULL ? path : "") < 0)
			return -ENOMEM;
		free(path);
		path = p;
		d = skip_subsystem(d, subsystem);
	}
	b->controller = TAKE_PTR(path);
	return 0;
}

/*
 * The stable path of the device or port with kernel name kname on bus,
 * as udev's path_id builtin writes ID_PATH: the controller's name, then
 * "usb-0:" and the port path less its bus. Debian 12's
 * 50-udev-default.rules stores that for USB devices, but reading the
 * database costs a file per device on every event, so it is computed;
 * it is the same for controllers on PCI or platform buses. *ret is NULL
 * when no controller is known. Returns 0 or -ENOMEM.
 */
static int
stable_path(const struct bus_info *b, const char *kname, char **ret)
{
	const char *dash = strchr(kname, '-');

	*ret = NULL;
	if (b->controller == NULL)
		return 0;
	if (dash == NULL)       /* the root hub: the controller itself */
		return strdup_null(b->controller, ret);
	if (asprintf(ret, "%s-usb-0:%s", b->controller, dash + 1) < 0) {
		*ret = NULL;
		return -ENOMEM;
	}
	return 0;
}

/*
 * Where the symbolic link dir/name points, resolved by hand: sysfs links
 * are relative, and the target need not be a device libudev knows.
 * *ret is NULL when there is no such link. Returns 0 or -ENOMEM.
 */
static int
follow_link(const char *dir, const char *name, char **ret)
{
	char link[SYSFS_PATH_MAX];
	char target[SYSFS_PATH_MAX];
	_cleanup_free_ char *out = NULL;
	size_t n;
	ssize_t k;

	*ret = NULL;
	if ((size_t)snprintf(link, sizeof(link), "%s/%s", dir, name) >=
	    sizeof(link))
		return 0;
	/*
	 * readlinkat(): fortified builds may turn readlink() into
	 * __readlink_chk(), which umockdev's preload does not redirect.
	 */
	k = readlinkat(AT_FDCWD, link, target, sizeof(target) - 1);
	if (k <= 0 || target[0] == '/')
		return 0;
	target[k] = '\0';
	out = malloc(strlen(dir) + k + 2);
	if (out == NULL)
		return -ENOMEM;
	memcpy(out, dir, (n = strlen(dir)) + 1);
	for (char *c = target, *next; c != NULL && *c != '\0'; c = next) {
		next = strchr(c, '/');
		if (next != NULL)
			*next++ = '\0';
		if (strcmp(c, "..") == 0) {
			char *slash = strrchr(out, '/');

			if (slash == NULL || slash == out)
				return 0;
			*slash = '\0';
			n = slash - out;
		} else if (*c != '\0' && strcmp(c, ".") != 0) {
			out[n++] = '/';
			memcpy(out + n, c, strlen(c) + 1);
			n += strlen(c);
		}
	}
	*ret = TAKE_PTR(out);
	return 0;
}

/*
 * The other half of a connector: a USB 3 port and the USB 2 port wired
 * to the same socket are peers (the usb_port's "peer" link). From the
 * peer port ".../usb2/2-0:1.0/usb2-port2" or ".../2-1/2-1:1.0/2-1-port3"
 * come its kernel form "2-2" or "2-1.3" and its stable path. Leaves the
 * fields NULL when there is no peer; *ret_bus is the peer's bus.
 * Returns 0 or -ENOMEM.
 */
static int
read_peer(struct collect *c, struct usbdev *u, unsigned *ret_bus)
{
	_cleanup_free_ char *port = NULL;
	_cleanup_free_ char *peer = NULL;
	unsigned long long num;
	unsigned long long bus;
	const char *hub_name;
	char *s;
	int r;

	r = follow_link(u->syspath, "port", &port);
	if (r < 0 || port == NULL)
		return r;
	r = follow_link(port, "peer", &peer);
	if (r < 0 || peer == NULL)
		return r;
	s = strrchr(peer, '/');
	if (s == NULL || (s = strstr(s, "-port")) == NULL ||
	    parse_uint(s + 5, 10, 1, 255, &num) < 0)
		return 0;
	/* The port's parent is the hub's interface, whose parent is the hub. */
	for (int i = 0; i < 2; i++) {
		s = strrchr(peer, '/');
		if (s == NULL || s == peer)
			return 0;
		*s = '\0';
	}
	hub_name = strrchr(peer, '/') + 1;
	if (strncmp(hub_name, "usb", 3) == 0)
		r = asprintf(&u->peer_port, "%s-%llu", hub_name + 3, num);
	else
		r = asprintf(&u->peer_port, "%s.%llu", hub_name, num);
	if (r < 0) {
		u->peer_port = NULL;
		return -ENOMEM;
	}
	s = strchr(u->peer_port, '-');
	*s = '\0';
	r = parse_uint(u->peer_port, 10, 1, 255, &bus);
	*s = '-';
	if (r < 0) {
		u->peer_port = mfree(u->peer_port);
		return 0;
	}
	*ret_bus = bus;
	if (!c->bus[bus].known) {
		_cleanup_(udev_device_unrefp) struct udev_device *hub =
		    udev_device_new_from_syspath(c->udev, peer);

		if (hub == NULL)
			return 0;
		r = learn_bus(&c->bus[bus], hub);
		if (r < 0)
			return r;
	}
	return stable_path(&c->bus[bus], u->peer_port, &u->peer_path);
}

/*
 * The connector's one name, whichever half the device is plugged in at:
 * its USB 2 half's stable path. A stable path alone does not name one
 * connector: udev's drops the bus, so where a controller numbers its USB 2
 * and USB 3 ports apart, "usb-0:2" is a port on each side; the USB 2
 * side's numbers are unique. Without a stable path, the kernel form.
 */
static void
name_connector(struct usbdev *u, bool own_usb2, bool peer_usb2)
{
	bool peer = u->peer_port != NULL && peer_usb2 && !own_usb2;

	if (u->path != NULL && (!peer || u->peer_path != NULL))
		u->connector = peer ? u->peer_path : u->path;
	else
		u->connector = peer ? u->peer_port : u->port;
}

bool
usbdev_at_port(const struct usbdev *d, const char *port)
{
	return streq_opt(d->port, port) || streq_opt(d->path, port) ||
	    streq_opt(d->peer_port, port) || streq_opt(d->peer_path, port);
}

/*
 * Sysfs text is hostile: anything malformed is skipped, with a warning.
 * Returns 1 kept, 0 skipped, or -ENOMEM.
 */
static int
read_device(struct collect *c, struct udev_device *d, const struct usb_id *ids,
    size_t n_ids, struct usbdev *ret)
{
	const char *path = udev_device_get_syspath(d);
	const char *serial;
	unsigned long long v;
	unsigned long long p;
	unsigned long long bus;
	unsigned long long dev;
	unsigned long long class = 0;
	_cleanup_(usbdev_done) struct usbdev u = { 0 };
	unsigned peer_bus = 0;
	int r;

	if (!attr_uint(d, "idVendor", 16, 0xffff, &v) ||
	    !attr_uint(d, "idProduct", 16, 0xffff, &p))
		return 0;       /* not one we could manage anyway */
	u.managed = managed(ids, n_ids, v, p);
	if (!attr_uint(d, "busnum", 10, 255, &bus) ||
	    !attr_uint(d, "devnum", 10, 127, &dev)) {
		if (u.managed)
			log_warning("%s: unreadable busnum or devnum, skipping",
			    path);
		return 0;
	}
	(void)attr_uint(d, "bDeviceClass", 16, 0xff, &class);
	u.vendor = v;
	u.product = p;
	u.class = class;
	u.speed = attr_speed(d);
	u.usbfs = claimed_by_usbfs(d);
	u.bus = bus;
	u.dev = dev;
	serial = u.managed || c->all_serials ?
	    udev_device_get_sysattr_value(d, "serial") : NULL;
	if (serial != NULL && !serial_valid(serial) && u.managed)
		log_warning("%s: serial number is not 1-126 printable ASCII characters; the device cannot be assigned",
		    path);
	else if (serial != NULL && serial_valid(serial)) {
		char **to = u.managed ? &u.serial : &u.other_serial;

		*to = strdup(serial);
		if (*to == NULL)
			return -ENOMEM;
	}
	u.port = strdup(udev_device_get_sysname(d));
	u.syspath = strdup(path);
	if (u.port == NULL || u.syspath == NULL)
		return -ENOMEM;
	r = c->bus[bus].known ? 0 : learn_bus(&c->bus[bus], d);
	if (r == 0)
		r = stable_path(&c->bus[bus], u.port, &u.path);
	if (r == 0 && c->peers)
		r = read_peer(c, &u, &peer_bus);
	if (r < 0)
		return r;
	name_connector(&u, c->bus[bus].usb2, peer_bus != 0 &&
	    c->bus[peer_bus].usb2);
	*ret = u;
	u = (struct usbdev){ 0 };
	return 1;
}

/* Whether the process whose /proc directory is pidfd has path open. */
static bool
has_open(int pidfd, const char *path)
{
	_cleanup_close_ int fd = openat(pidfd, "fd",
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_(closedirp) DIR *fds = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (fds == NULL)
		return false;   /* not ours to read */
	fd = -1;                /* fds owns it */
	while ((e = readdir(fds)) != NULL) {
		char link[PATH_MAX];
		ssize_t k = readlinkat(dirfd(fds), e->d_name, link,
		    sizeof(link) - 1);

		if (k > 0 && (size_t)k == strlen(path) &&
		    memcmp(link, path, k) == 0)
			return true;
	}
	return false;
}

/* "NAME[PID]", the name from the process's comm, into *ret. */
static int
process_name(int pidfd, const char *pid, char **ret)
{
	_cleanup_close_ int fd = openat(pidfd, "comm", O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *comm = NULL;
	size_t len = 0;

	if (fd < 0 || read_fd(fd, 16, 64, &comm, &len) < 0 || len == 0)
		return asprintf(ret, "[%s]", pid) < 0 ? -ENOMEM : 1;
	while (len > 0 && comm[len - 1] == '\n')
		comm[--len] = '\0';
	return asprintf(ret, "%s[%s]", comm, pid) < 0 ? -ENOMEM : 1;
}

int
usbfs_holder(unsigned bus, unsigned dev, char **ret)
{
	char node[64];

	(void)snprintf(node, sizeof(node), "/dev/bus/usb/%03u/%03u", bus, dev);
	return proc_holder(node, ret);
}

int
proc_holder(const char *node, char **ret)
{
	_cleanup_(closedirp) DIR *proc = opendir("/proc");
	struct dirent *e;

	while (proc != NULL && (e = readdir(proc)) != NULL) {
		_cleanup_close_ int pidfd = -1;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		pidfd = openat(dirfd(proc), e->d_name,
		    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (pidfd >= 0 && has_open(pidfd, node))
			return process_name(pidfd, e->d_name, ret);
	}
	return 0;
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

int
usbdev_serial_cmp(const void *x, const void *y)
{
	const struct usbdev *const *a = x;
	const struct usbdev *const *b = y;

	return strcmp((*a)->serial, (*b)->serial);
}

int
udevsnap_collect(const struct usb_id *ids, size_t n_ids, unsigned flags,
    struct udevsnap *ret_snap)
{
	_cleanup_(udev_unrefp) struct udev *udev = udev_new();
	_cleanup_(collect_done) struct collect c = {
		.udev = udev, .peers = (flags & UDEVSNAP_PEERS) != 0,
		.all_serials = (flags & UDEVSNAP_ALL_SERIALS) != 0,
	};
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
		int r;

		d = udev_device_new_from_syspath(udev,
		    udev_list_entry_get_name(entry));
		if (d == NULL)
			continue;       /* gone since the scan */
		if (snap.n >= USBDEVS_MAX)
			return log_error_errno(-E2BIG,
			    "more than %d USB devices", USBDEVS_MAX);
		if (GREEDY_GROW(snap.v, snap.n) < 0)
			return log_oom();
		r = read_device(&c, d, ids, n_ids, &snap.v[snap.n]);
		if (r < 0)
			return log_oom();
		snap.n += r;
	}
	if (snap.n > 0)
		qsort(snap.v, snap.n, sizeof(*snap.v), usbdev_addr_cmp);
	*ret_snap = snap;
	snap = (struct udevsnap){ 0 };
	return 0;
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

size_t
udevsnap_count_serial(const struct udevsnap *snap, const char *serial)
{
	size_t n = 0;

	for (size_t i = 0; serial != NULL && i < snap->n; i++)
		n += streq_null(snap->v[i].serial, serial);
	return n;
}

const struct usbdev *
udevsnap_by_address(const struct udevsnap *snap, unsigned bus, unsigned dev)
{
	const struct usbdev k = { .bus = bus, .dev = dev };

	return snap->n > 0 ? bsearch(&k, snap->v, snap->n, sizeof(*snap->v),
	    usbdev_addr_cmp) : NULL;
}

const struct usbdev *
udevsnap_by_port(const struct udevsnap *snap, const char *port)
{
	for (size_t i = 0; i < snap->n; i++)
		if (strcmp(snap->v[i].port, port) == 0)
			return &snap->v[i];
	return NULL;
}

int
udevsnap_one(const struct usb_id *ids, size_t n_ids, const char *sysname,
    struct usbdev *ret)
{
	_cleanup_(udev_unrefp) struct udev *udev = udev_new();
	_cleanup_(collect_done) struct collect c = { .udev = udev, .peers = true };
	_cleanup_(udev_device_unrefp) struct udev_device *d = NULL;
	const char *devtype;
	int r;

	if (udev == NULL)
		return log_error_errno(-ENOMEM, "cannot start libudev");
	d = udev_device_new_from_subsystem_sysname(udev, "usb", sysname);
	if (d == NULL)
		return 0;
	devtype = udev_device_get_devtype(d);
	if (devtype == NULL || strcmp(devtype, "usb_device") != 0)
		return 0;
	r = read_device(&c, d, ids, n_ids, ret);
	if (r < 0)
		return log_oom();
	return r;
}
