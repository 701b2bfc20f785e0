#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A USB hostdev of a domain's live XML. */
struct hostdev {
	char *alias;            /* NULL when the element has none */
	bool has_address;
	unsigned bus;
	unsigned dev;
	bool has_id;
	uint16_t vendor;
	uint16_t product;
	bool live_only;         /* set by the snapshot: absent from the persistent definition */
};

struct hostdev_list {
	struct hostdev *v;
	size_t n;
};

/*
 * Extracts the USB subsystem hostdevs from a domain's XML; len bytes of xml.
 * Loads no DTD and no entity, reaches no network. Returns 0, -EINVAL for
 * XML it cannot parse (the reason in *ret_error, the caller's, when not
 * NULL) or -ENOMEM.
 */
int domxml_hostdevs(const char *xml, size_t len, struct hostdev_list *ret,
    char **ret_error);
void hostdev_list_done(struct hostdev_list *l);

/*
 * Builds <hostdev mode='subsystem' type='usb' managed='no'> with the source
 * address bus:dev and, if alias is not NULL, <alias name=.../>, with
 * libxml2. Returns 0, -EINVAL for an alias libxml2 cannot write faithfully
 * (control characters, invalid UTF-8), or -ENOMEM; *ret_xml is the caller's.
 */
int domxml_build_usb_hostdev(unsigned bus, unsigned dev, const char *alias,
    char **ret_xml);
