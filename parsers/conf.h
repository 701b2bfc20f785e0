#pragma once

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* The build sets it from SYSCONFDIR, as make install does. */
#ifdef BBVIRT_CONF_DIR
#define CONF_DIR BBVIRT_CONF_DIR
#else
#define CONF_DIR "/etc/bit-babbler"
#endif
#define CONF_DEFAULT_PATH CONF_DIR "/vm.conf"
#define CONF_FILE_MAX (16u << 20)
#define CONF_DOMAINS_MAX 4096
#define CONF_SERIALS_MAX 65536
#define CONF_USB_IDS_MAX 256
#define CONF_PORTS_MAX 65536
#define CONF_TYPES_MAX 65536
#define CONF_PORT_MAX 126      /* it goes into an alias, as a serial does */
#define CONF_NAME_MAX 255
#define CONF_URI_MAX 1024

enum conf_format {
	CONF_FORMAT_BASH,
	CONF_FORMAT_INI,
	_CONF_FORMAT_MAX,
};

struct usb_id {
	uint16_t vendor;
	uint16_t product;
};

/* The type managed when the config names none: the BitBabbler, as the original's. */
#define CONF_DEFAULT_USB_ID ((struct usb_id){ .vendor = 0x0403, .product = 0x7840 })

/* serials = SERIAL, or devices = VENDOR:PRODUCT/SERIAL (has_id): one rank. */
struct conf_serial {
	char *serial;
	unsigned line;
	bool has_id;            /* only the device of this type with that serial */
	struct usb_id id;
};

/* ports = PORT: the kernel form "3-2.1" (canonical) or a stable path. */
struct conf_port {
	char *port;
	unsigned line;
};

/* devices = VENDOR:PRODUCT: every device of that type. */
struct conf_type {
	struct usb_id id;
	unsigned line;
};

struct conf_domain {
	char *key;              /* legacy DOMAIN_*_key suffix, or INI section label */
	char *name;             /* the libvirt domain name */
	char *uri;              /* NULL: [defaults] uri, else libvirt's default */
	unsigned line;          /* where the domain is first mentioned */
	struct conf_serial *serials;
	size_t n_serials;
	struct conf_port *ports;
	size_t n_ports;
	struct conf_type *types;
	size_t n_types;
};

/* Where one serial is listed: domains[domain].serials[serial]. */
struct conf_ref {
	const char *serial;     /* borrowed from that entry */
	uint32_t domain;
	uint32_t serial_index;
};

/* Where one port or one type rule is: domains[domain].ports[index] or .types[index]. */
struct conf_rule_ref {
	const char *port;       /* borrowed; NULL for a type */
	struct usb_id id;
	uint32_t domain;
	uint32_t index;
};

struct conf {
	char *file;
	enum conf_format format;
	char *uri;              /* default URI, or NULL */
	char *metrics;          /* [defaults] metrics: an absolute path or "none"; NULL: not set */
	char *seedd_conf;       /* [defaults] seedd-conf: an absolute path or "none"; NULL: not set */
	struct usb_id *usb_ids;
	size_t n_usb_ids;
	struct conf_domain *domains;
	size_t n_domains;
	/* Every listed serial, sorted by serial, then config order; built by conf_parse(). */
	struct conf_ref *by_serial;
	size_t n_by_serial;
	/* Every port rule sorted by port, every type rule by type; then config order. */
	struct conf_rule_ref *by_port;
	size_t n_by_port;
	struct conf_rule_ref *by_type;
	size_t n_by_type;
	/* The types whose serials bbvirt manages: usb_ids and those of devices =, sorted. */
	struct usb_id *managed_ids;
	size_t n_managed_ids;
};

/*
 * Maps -C ARG to a path: a bare NAME or NAME.conf without '/' is
 * CONF_DIR/NAME.conf.
 * Returns 0 or -ENOMEM; *ret is the caller's.
 */
int conf_path(const char *arg, char **ret);

/*
 * Opens path, refuses it unless it is a regular file owned by root or the
 * running user and not writable by group or others, and parses it. Logs
 * every failure. Returns 0, -EINVAL (bad config) or -errno.
 */
int conf_load(const char *path, struct conf *ret_conf);
/*
 * conf_load(), but a config that does not exist assigns nothing (an empty
 * config, logged at info) when it is the default one, or any one with
 * any_path: a host without a config is not an error.
 */
int conf_load_or_none(const char *path, bool any_path, struct conf *ret_conf);

/*
 * Parses a config held in memory; file names it in messages. Tells the
 * syntax apart by content, then checks what both syntaxes share. Logs
 * "FILE:LINE: ..." on the first error. Returns 0, -EINVAL or -ENOMEM.
 */
int conf_parse(const char *file, const char *buf, size_t len,
    struct conf *ret_conf);

void conf_done(struct conf *conf);

/* The domain with this libvirt name or config key, or NULL. */
const struct conf_domain *conf_find_domain(const struct conf *conf,
    const char *name);
/* The domain a serial is assigned to, or NULL. O(log n) on a parsed config. */
const struct conf_domain *conf_domain_of(const struct conf *conf,
    const char *serial);
/* The serial rule that counts for serial, or NULL; *ret_domain is its domain. */
const struct conf_serial *conf_serial_rule(const struct conf *conf,
    const char *serial, const struct conf_domain **ret_domain);
/* The port rule written exactly so (canonical kernel form or stable path), or NULL. O(log n). */
const struct conf_rule_ref *conf_port_rule(const struct conf *conf,
    const char *port);
/* The type rule for vendor:product, or NULL. O(log n). */
const struct conf_rule_ref *conf_type_rule(const struct conf *conf,
    uint16_t vendor, uint16_t product);
/* The line a port or type rule is on. */
unsigned conf_rule_line(const struct conf *conf, const struct conf_rule_ref *r);
/* Whether the config assigns anything: a serial, a port or a type. */
bool conf_assigns(const struct conf *conf);
/* The URI a domain is reached by: uri_override, else its own, else the default. */
const char *conf_domain_uri(const struct conf *conf,
    const struct conf_domain *d, const char *uri_override);
bool conf_manages(const struct conf *conf, uint16_t vendor, uint16_t product);

const char *conf_format_to_string(enum conf_format f);

/* Parses "vvvv:pppp" (four hex digits each). Returns 0 or -EINVAL. */
int usb_id_parse(const char *s, struct usb_id *ret);
/*
 * Parses a port as a config may write it: BUS-PORT[.PORT...] (written back
 * in canonical form, "3-02" as "3-2") or a stable path in udev's ID_PATH
 * form, "pci-0000:00:14.0-usb-0:2.3". Returns 0 or -EINVAL; *ret is the
 * caller's.
 */
int conf_port_parse(const char *s, char **ret);
/* Whether s is a stable port path in udev's ID_PATH form. */
bool conf_port_stable(const char *s);
