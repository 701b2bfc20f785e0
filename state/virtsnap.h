#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "domxml.h"

struct _virConnect;             /* libvirt's virConnectPtr points to one */

/* A libvirt domain as seen on one connection. */
struct vdomain {
	char *name;
	const char *uri;        /* the connection's URI, NULL for libvirt's default */
	bool active;
	struct hostdev_list hostdevs;   /* from the live XML; empty when inactive */
};

struct virtconn {
	char *uri;              /* as libvirt names it; NULL if the default failed */
	struct _virConnect *conn;       /* NULL when the connection failed */
	char *error;            /* why it failed */
};

struct virtsnap {
	struct virtconn *conns;
	size_t n_conns;
	struct vdomain *domains;        /* sorted by URI, then name */
	size_t n_domains;
	char *default_uri;      /* what libvirt's default URI resolved to, or NULL */
	unsigned long calls;    /* libvirt API calls made, for -vv and the benchmarks */
};

/*
 * Opens each distinct URI once (NULL entries mean libvirt's default, which
 * is resolved to the URI it names, so that it and an explicit URI for the
 * same daemon share one connection;
 * read-only connections when read_only) and records every domain with,
 * for an active one, its USB hostdevs from the live XML. A URI that cannot
 * be reached is logged and kept with conn NULL; its domains are unknown.
 * Returns 0 when every URI answered, -EIO when one did not (the snapshot
 * is still filled), or -ENOMEM.
 */
int virtsnap_collect(const char *const *uris, size_t n_uris, bool read_only,
    struct virtsnap *ret_snap);
void virtsnap_done(struct virtsnap *snap);     /* closes the connections */

/* uri, or for NULL the URI libvirt's default resolved to. */
const char *virtsnap_uri(const struct virtsnap *snap, const char *uri);
/* The domain name on uri (NULL: the default), or NULL when unknown. */
const struct vdomain *virtsnap_find(const struct virtsnap *snap,
    const char *uri, const char *name);
/* True when uri was collected and answered. */
bool virtsnap_uri_ok(const struct virtsnap *snap, const char *uri);

/* Silences libvirt's own printing to stderr; bbvirt reports its errors. Call once. */
void virtsnap_init(void);
