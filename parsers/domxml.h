#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A USB hostdev of a domain's live XML. */
/*
 * libvirt's USB controller models, each with the fastest signalling rate
 * (Mb/s) a device gets on it: 12 for UHCI and OHCI (USB 1.1), 480 for
 * EHCI, 5000 for xHCI.
 */
struct usb_model {
	const char *name;       /* as libvirt writes it: "piix3-uhci", "qemu-xhci" */
	unsigned mbps;
};

/* USB 2.0's high speed: the slowest a USB 1.1 controller slows down. */
#define USB_HIGH_SPEED_MBPS 480

/* The model libvirt calls name, or NULL for a name it has none for. */
const struct usb_model *usb_model_lookup(const char *name);

/*
 * Whether a device signalling at device_mbps (the kernel's speed, 1.5 to
 * 20000) runs slower behind a controller of model m: a 480 Mb/s or faster
 * device on a USB 1.1 controller. False when m is NULL (unknown).
 */
bool usb_model_slows(const struct usb_model *m, double device_mbps);

struct hostdev {
	char *alias;            /* NULL when the element has none */
	bool has_address;
	unsigned bus;
	unsigned dev;
	bool has_id;
	uint16_t vendor;
	uint16_t product;
	bool live_only;         /* set by the snapshot: absent from the persistent definition */
	/* The guest side: <address type='usb' bus=…>, and its bus's controller. */
	bool has_guest_bus;
	unsigned guest_bus;
	const struct usb_model *controller;     /* NULL when unknown */
};

struct hostdev_list {
	struct hostdev *v;
	size_t n;
	char *error;            /* why the document was refused, else NULL */
};

/*
 * Extracts the USB subsystem hostdevs from a domain's XML; len bytes of xml.
 * Loads no DTD and no entity, reaches no network. Returns 0, -EINVAL for
 * XML it cannot parse (*ret then holds only the reason, in error) or
 * -ENOMEM (*ret untouched). *ret is the caller's: hostdev_list_done().
 */
int domxml_hostdevs(const char *xml, size_t len, struct hostdev_list *ret);
void hostdev_list_done(struct hostdev_list *l);

/*
 * Builds <hostdev mode='subsystem' type='usb' managed='no'> with the source
 * address bus:dev and, if alias is not NULL, <alias name=.../>, with
 * libxml2. Returns 0, -EINVAL for an alias libxml2 cannot write faithfully
 * (control characters, invalid UTF-8), or -ENOMEM; *ret_xml is the caller's.
 */
int domxml_build_usb_hostdev(unsigned bus, unsigned dev, const char *alias,
    char **ret_xml);

/*
 * A USB hostdev of a domain XML document with where its <source> element
 * lies in that document's bytes, for a filter that rewrites the source and
 * leaves every other byte as it was.
 */
struct hostdev_span {
	struct hostdev hd;
	bool has_source;
	bool optional;          /* <source startupPolicy='optional'> */
	size_t begin;           /* the <source> element is bytes [begin, end) */
	size_t end;
	unsigned depth;         /* of <source> below the root, for indenting a replacement */
	bool multiline;         /* the element spans lines: its replacement is indented */
};

struct domxml_spans {
	char *name;             /* the domain's <name>, NULL when it has none */
	struct hostdev_span *v;
	size_t n;
	char *error;            /* why the document was refused, else NULL */
};

/*
 * Like domxml_hostdevs(), and records each hostdev's <source> byte range.
 * Also refuses (-EINVAL, the reason in ret->error) a document whose
 * offsets libxml2 cannot report in the input's own bytes (any encoding
 * but UTF-8). Returns 0, -EINVAL or -ENOMEM.
 */
int domxml_spans(const char *xml, size_t len, struct domxml_spans *ret);
void domxml_spans_done(struct domxml_spans *s);

/* What a rewritten <source> names. */
struct domxml_source {
	bool optional;          /* startupPolicy='optional' */
	unsigned bus;
	unsigned dev;
	bool has_id;            /* also <vendor> and <product> */
	uint16_t vendor;
	uint16_t product;
};

/*
 * Builds a <source> element with libxml2: on one line, or with indent
 * indented as libvirt indents an element at depth. Returns 0 or -ENOMEM;
 * *ret_xml is the caller's.
 */
int domxml_build_source(const struct domxml_source *src, bool indent,
    unsigned depth, char **ret_xml);

/* Replace bytes [begin, end) of a document with text. */
struct domxml_edit {
	size_t begin;
	size_t end;
	const char *text;
};

/*
 * Copies the len bytes of xml with the n edits made, which must be in
 * order and must not overlap. Returns 0, -EINVAL for edits that do not
 * fit, or -ENOMEM; *ret (NUL-terminated, *ret_len bytes) is the caller's.
 */
int domxml_splice(const char *xml, size_t len, const struct domxml_edit *edits,
    size_t n, char **ret, size_t *ret_len);
