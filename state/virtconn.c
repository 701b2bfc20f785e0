#include <errno.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "virtconn.h"

static void
silent(void *userdata _unused_, virErrorPtr e _unused_)
{
}

void
virtconn_init(void)
{
	/*
	 * libvirt's client library also logs warnings to stderr by itself
	 * (the test driver's hostname lookup on a host whose name does not
	 * resolve, say), unformatted, beside our own lines. Send its log
	 * nowhere unless the user asked for it; it reads these variables
	 * when it initialises, at the first call.
	 */
	if (getenv("LIBVIRT_LOG_OUTPUTS") == NULL &&
	    getenv("LIBVIRT_DEBUG") == NULL)
		(void)setenv("LIBVIRT_LOG_OUTPUTS", "4:file:/dev/null", 0);
	virSetErrorFunc(NULL, silent);
}

const char *
virtconn_uri_name(const char *uri)
{
	return uri != NULL ? uri : "the default URI";
}

static const char *
last_error(void)
{
	const char *m = virGetLastErrorMessage();

	return m != NULL ? m : "unknown libvirt error";
}

void
virtconns_done(struct virtconns *c)
{
	for (size_t i = 0; i < c->n; i++) {
		if (c->v[i].conn != NULL)
			(void)virConnectClose(c->v[i].conn);
		free(c->v[i].uri);
		free(c->v[i].host);
		free(c->v[i].error);
	}
	free(c->v);
	free(c->default_uri);
	free(c->this_host);
	*c = (struct virtconns){ 0 };
}

int
virtconn_this_host(char **ret)
{
	const char *e = getenv("BBVIRT_TEST_THIS_HOST");
	char buf[256];

	if (e != NULL && e[0] != '\0')
		return (*ret = strdup(e)) != NULL ? 0 : -ENOMEM;
	if (gethostname(buf, sizeof(buf)) < 0)
		return -errno;
	buf[sizeof(buf) - 1] = '\0';
	return (*ret = strdup(buf)) != NULL ? 0 : -ENOMEM;
}

bool
virtconn_same_host(const char *host, const char *this_host)
{
	size_t a;
	size_t b;

	if (strcasecmp(host, this_host) == 0)
		return true;
	if (strchr(host, '.') != NULL && strchr(this_host, '.') != NULL)
		return false;
	a = strcspn(host, ".");
	b = strcspn(this_host, ".");
	return a == b && a > 0 && strncasecmp(host, this_host, a) == 0;
}

/* Decides where the connection leads; one that cannot say is remote. */
static void
check_host(struct virtconns *c, struct virtconn *vc)
{
	c->calls++;
	vc->host = virConnectGetHostname(vc->conn);
	if (vc->host == NULL) {
		vc->remote = true;
		log_warning("cannot tell which host %s reaches: %s; its guests are left alone",
		    virtconn_uri_name(vc->uri), last_error());
		return;
	}
	vc->remote = !virtconn_same_host(vc->host, c->this_host);
	/* main() warns once for each domain configured there. */
	if (vc->remote)
		log_info("%s reaches host '%s', not this host '%s': USB devices are local, its guests are left alone",
		    virtconn_uri_name(vc->uri), vc->host, c->this_host);
}

static int
open_one(struct virtconns *c, struct virtconn *vc, bool read_only)
{
	c->calls++;
	vc->conn = read_only ? virConnectOpenReadOnly(vc->uri) :
	    virConnectOpen(vc->uri);
	if (vc->conn == NULL) {
		vc->error = strdup(last_error());
		log_error("cannot connect to %s: %s", virtconn_uri_name(vc->uri),
		    vc->error != NULL ? vc->error : "?");
		return -EIO;
	}
	return 0;
}

/*
 * libvirt's default URI names some daemon, perhaps one the config also
 * names: open it first and call it by its name, so the two share one
 * connection.
 */
static int
open_default(struct virtconns *c, bool read_only)
{
	struct virtconn *vc = &c->v[c->n++];
	int r;

	r = open_one(c, vc, read_only);
	if (r < 0)
		return r;
	c->calls++;
	vc->uri = virConnectGetURI(vc->conn);
	if (vc->uri == NULL) {
		vc->error = strdup(last_error());
		log_error("cannot tell what the default URI is: %s",
		    vc->error != NULL ? vc->error : "?");
		(void)virConnectClose(vc->conn);
		vc->conn = NULL;
		return -EIO;
	}
	c->default_uri = strdup(vc->uri);
	if (c->default_uri == NULL)
		return -ENOMEM;
	check_host(c, vc);
	return 0;
}

int
virtconns_open(const char *const *uris, size_t n_uris, bool read_only,
    struct virtconns *ret)
{
	_cleanup_(virtconns_done) struct virtconns c = { 0 };
	int r;

	c.v = calloc(n_uris + 1, sizeof(*c.v));
	if (c.v == NULL)
		return log_oom();
	r = virtconn_this_host(&c.this_host);
	if (r < 0)
		return log_error_errno(r, "cannot tell this host's name: %s",
		    strerror(-r));
	for (size_t i = 0; i < n_uris; i++)
		if (uris[i] == NULL) {
			r = open_default(&c, read_only);
			if (r == -ENOMEM)
				return log_oom();
			break;
		}
	for (size_t i = 0; i < n_uris; i++) {
		struct virtconn *vc;

		if (uris[i] == NULL || virtconns_find(&c, uris[i]) != NULL)
			continue;
		vc = &c.v[c.n++];
		if ((vc->uri = strdup(uris[i])) == NULL)
			return log_oom();
		if (open_one(&c, vc, read_only) >= 0)
			check_host(&c, vc);
	}
	*ret = c;
	c = (struct virtconns){ 0 };
	return 0;
}

bool
virtconns_failed(const struct virtconns *c)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].conn == NULL)
			return true;
	return false;
}

const char *
virtconns_uri(const struct virtconns *c, const char *uri)
{
	return uri != NULL || c == NULL ? uri : c->default_uri;
}

const struct virtconn *
virtconns_find(const struct virtconns *c, const char *uri)
{
	if (c == NULL)
		return NULL;
	if (uri == NULL && c->default_uri == NULL)
		/* The default failed before it had a name: it is the first. */
		return c->n > 0 && c->v[0].uri == NULL ? &c->v[0] : NULL;
	uri = virtconns_uri(c, uri);
	for (size_t i = 0; i < c->n; i++)
		if (streq_null(c->v[i].uri, uri))
			return &c->v[i];
	return NULL;
}

size_t
virtconns_index(const struct virtconns *c, const struct virtconn *vc)
{
	return vc != NULL ? (size_t)(vc - c->v) : c->n;
}

int
virtconns_lookup(struct virtconns *c, const char *uri, const char *name,
    virDomainPtr *ret)
{
	const struct virtconn *vc = virtconns_find(c, uri);
	virDomainPtr dom;

	if (vc == NULL || vc->conn == NULL)
		return -ENOTCONN;
	if (vc->remote)
		return -EREMOTE;
	c->calls++;
	dom = virDomainLookupByName(vc->conn, name);
	if (dom == NULL)
		return -EIO;
	*ret = dom;
	return 0;
}

const char *
virtconns_lookup_error(int r)
{
	switch (r) {
	case -ENOTCONN:
		return "no connection to its URI";
	case -EREMOTE:
		return "its URI reaches another host";
	default:
		return last_error();
	}
}
