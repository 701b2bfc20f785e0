#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "domxml.h"

struct virtconns;

#define VDOMAIN_UUID_LEN 16

/* A libvirt domain as seen on one connection. */
struct vdomain {
	char *name;
	const char *uri;        /* its connection's URI, NULL for libvirt's default */
	size_t conn;            /* its connection's place in the order asked */
	unsigned char uuid[VDOMAIN_UUID_LEN];   /* one guest, whichever URI shows it */
	bool active;
	bool remote;            /* on another host: its hostdevs are not read */
	struct hostdev_list hostdevs;   /* from the live XML; empty when inactive or remote */
};

struct virtsnap {
	struct virtconns *conns;        /* borrowed; NULL in tests that need none */
	struct vdomain *domains;        /* sorted by URI, then name */
	size_t n_domains;
};

/*
 * Decides whether a live hostdev might be adopted, so that the snapshot
 * reads the domain's persistent definition, and only then.
 */
typedef bool (*virtsnap_adoptable_fn)(const struct hostdev *hd, void *userdata);

/*
 * Records every domain of every connection in conns and, for an active one
 * on this host, its USB hostdevs from the live XML. When adoptable accepts
 * one of them, reads whether it is also in the persistent definition (a
 * transient domain has none) into its live_only. A connection that failed
 * contributes nothing; one that cannot list its domains is logged, closed
 * and marked failed (virtconns_failed()). Returns 0 or -ENOMEM.
 */
int virtsnap_collect(struct virtconns *conns, virtsnap_adoptable_fn adoptable,
    void *userdata, struct virtsnap *ret_snap);
void virtsnap_done(struct virtsnap *snap);     /* the connections stay open */

/* uri, or for NULL the URI libvirt's default resolved to. */
const char *virtsnap_uri(const struct virtsnap *snap, const char *uri);
/* The domain name on uri (NULL: the default), or NULL when unknown. */
const struct vdomain *virtsnap_find(const struct virtsnap *snap,
    const char *uri, const char *name);
/* True when uri was collected and answered. */
bool virtsnap_uri_ok(const struct virtsnap *snap, const char *uri);
/* True when uri reaches another host. */
bool virtsnap_uri_remote(const struct virtsnap *snap, const char *uri);
