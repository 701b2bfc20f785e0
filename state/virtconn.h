#pragma once

#include <stdbool.h>
#include <stddef.h>

struct _virConnect;             /* libvirt's virConnectPtr points to one */
struct _virDomain;              /* and virDomainPtr to one of these */

/*
 * One libvirt connection per URI a run needs. USB devices belong to the
 * host bbvirt runs on: a connection that reaches another host is remote,
 * and its guests are left alone.
 */
struct virtconn {
	char *uri;              /* as asked; the default's under the name libvirt gives it; NULL if that failed */
	char *host;             /* the hostname libvirt reports, NULL when unknown */
	bool remote;            /* host is not this host */
	struct _virConnect *conn;       /* NULL when the connection failed */
	char *error;            /* why it failed */
};

struct virtconns {
	struct virtconn *v;     /* in the order asked: a guest seen twice is named by the first */
	size_t n;
	char *default_uri;      /* what libvirt's default URI resolved to, or NULL */
	char *this_host;        /* this host's name */
	unsigned long calls;    /* libvirt API calls made, for -vv and the benchmarks */
};

/*
 * Opens each distinct URI once (NULL means libvirt's default, which is
 * resolved to the URI it names so that it and an explicit spelling of it
 * share one connection), read-only when read_only, and asks each for its
 * hostname. A URI that cannot be reached is logged and kept with conn NULL
 * and its reason in error (virtconns_failed()); a remote one is logged
 * once. Returns 0, or -errno (logged) when there is no set at all.
 */
int virtconns_open(const char *const *uris, size_t n_uris, bool read_only,
    struct virtconns *ret);
void virtconns_done(struct virtconns *c);      /* closes the connections */
/* Whether a connection of the set failed, to open or to list its domains. */
bool virtconns_failed(const struct virtconns *c);

/* uri, or for NULL the URI libvirt's default resolved to. */
const char *virtconns_uri(const struct virtconns *c, const char *uri);
/* The connection for uri (NULL: the default), or NULL when none was asked for. */
const struct virtconn *virtconns_find(const struct virtconns *c,
    const char *uri);
/* Its position in the order asked, or c->n when unknown. */
size_t virtconns_index(const struct virtconns *c, const struct virtconn *vc);

/*
 * Looks the domain name up on uri. Returns 0, -ENOTCONN (no connection to
 * uri), -EREMOTE (uri reaches another host) or -EIO (libvirt's reason in
 * its last error). Counts the call.
 */
int virtconns_lookup(struct virtconns *c, const char *uri, const char *name,
    struct _virDomain **ret);
/* Why virtconns_lookup() failed with r, for a report; call right after it. */
const char *virtconns_lookup_error(int r);

/*
 * Whether host names this host (this_host): equal, ignoring case, or
 * equal in their first label when one of them is not qualified (libvirt
 * reports the canonical name, gethostname() often the short one).
 */
bool virtconn_same_host(const char *host, const char *this_host);

/*
 * This host's name: gethostname(), or $BBVIRT_TEST_THIS_HOST, which only
 * the test suite sets (libvirt's test driver always reports this host).
 * Returns 0 or -errno; *ret is the caller's.
 */
int virtconn_this_host(char **ret);

/* Silences libvirt's own printing to stderr; bbvirt reports its errors. Call once. */
void virtconn_init(void);

/* uri, or "the default URI" for NULL, for messages. */
const char *virtconn_uri_name(const char *uri);
